{#-
    The per-period GA4 state tables (int_ga4_periods_aggregated,
    int_ga4_new_users_aggregated) hold distinct-device counts per (period_grain,
    period_start), which cannot be updated from the days added: a run reads the
    days from the start of the earliest period holding its GA4 window's first
    day (to the end of the latest holding its last day, if bounded) and
    recounts, whole, every period lying within them. Their rows carry
    first_event_date and last_event_date, the days they were counted from,
    from which ga4_state_window finds the window.
-#}

{#- The run's GA4 window, as ga4_state_window gives it from the state's
    first_event_date / last_event_date, or unbounded (recount everything) when
    the table was built for other grains than the declared ones. -#}
{% macro ga4_period_state_window() -%}
    {%- set window = ga4_state_window('first_event_date', 'last_event_date') -%}
    {%- if (window.start is not none or window.end is not none) and not period_grains_built(this) -%}
        {{ return({'start': none, 'end': none}) }}
    {%- endif -%}
    {{ return(window) }}
{%- endmacro %}


{#- A select of the keys (key_columns) a run writes: those of `counts` (a CTE
    of the recounted rows), and on an incremental run those of the table's rows
    in the periods it recounted (period_within_window_condition), which a key
    the recount no longer finds replaces with a row of nulls for the post-hook
    to delete. -#}
{% macro ga4_period_state_keys(key_columns, counts, window) -%}
    select {{ key_columns | join(', ') }}
    from {{ counts }}
    {%- if execute and this is not none and is_incremental() %}

    union distinct

    select {{ key_columns | join(', ') }}
    from {{ this }}
    where {{ period_within_window_condition('period_grain', 'period_start', window) }}
    {%- endif %}
{%- endmacro %}
