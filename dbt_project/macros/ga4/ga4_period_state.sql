{#-
    The per-period GA4 state tables (int_ga4_periods_aggregated,
    int_ga4_new_users_aggregated) hold distinct-device counts per (period_grain,
    period_start), which cannot be updated from the days added: a run recounts,
    whole, each period holding a day the GA4 window may have rewritten. Their
    rows carry first_event_date and last_event_date, the days they were counted
    from.
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


{#- A select of the distinct (period_grain, period_start) to recount: those of
    the rows of `user_periods` (a CTE with period_grain, period_start and
    event_date) inside window, and, on an incremental run, those of the state's
    rows whose days overlapped it (a period may have lost every day there). -#}
{% macro ga4_touched_periods(user_periods, window) -%}
    select distinct
        period_grain,
        period_start
    from {{ user_periods }}
    where {{ ga4_date_window_condition('event_date', window) }}
    {%- if execute and this is not none and is_incremental() %}

    union distinct

    select
        period_grain,
        period_start
    from {{ this }}
    where {{ ga4_state_window_condition('first_event_date', 'last_event_date', window) }}
    {%- endif %}
{%- endmacro %}
