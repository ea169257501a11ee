{#-
    The GA4 date window of a state table (ga4_state_config): the days whose
    rows the incremental GA4 models upstream may have rewritten on this run,
    as ga4_date_window gives them, but read from the state's own columns:
    first_column / last_column hold the first and last day of each key's data.
    Their smallest last day is no earlier than the upstream table's first day
    and their latest day no later than its latest, so the window found here
    starts no later and ends no earlier than the one the upstream models
    rewrote: every rewritten day is inside it (a wider window only recomputes
    more keys, never a wrong one).
    Unbounded ({'start': none, 'end': none}: every key) on a full build, and on
    a table built before those columns existed.
-#}
{% macro ga4_state_window(first_column, last_column) -%}
    {%- set everything = {'start': none, 'end': none} -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(everything) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if first_column not in names or last_column not in names -%}
        {{ return(everything) }}
    {%- endif -%}
    {{ return(ga4_date_window(last_column)) }}
{%- endmacro %}


{#- A SQL condition keeping the state rows whose days [first_column,
    last_column] overlap window: the keys that may have had data there. -#}
{% macro ga4_state_window_condition(first_column, last_column, window) -%}
    {%- set conditions = [] -%}
    {%- if window.start is not none -%}
        {%- do conditions.append(last_column ~ " >= cast('" ~ window.start ~ "' as date)") -%}
    {%- endif -%}
    {%- if window.end is not none -%}
        {%- do conditions.append(first_column ~ " <= cast('" ~ window.end ~ "' as date)") -%}
    {%- endif -%}
    {{ return(conditions | join(' and ') if conditions else 'true') }}
{%- endmacro %}


{#- On an incremental run, `union all` the keys of the state table whose days
    overlap window (the keys that may have lost data there, which the upstream
    table no longer names); nothing on a full build. To append to a select of
    the keys the upstream rows of the window name. -#}
{% macro ga4_state_keys_before(key_column, first_column, last_column, window) -%}
    {%- if execute and this is not none and is_incremental() -%}
union all
select {{ key_column }}
from {{ this }}
where {{ ga4_state_window_condition(first_column, last_column, window) }}
    {%- endif -%}
{%- endmacro %}


{#- A SQL condition keeping the upstream rows of the keys in `touched` (a CTE
    with a key_column) on an incremental run; `true` on a full build, which
    reads every row. -#}
{% macro ga4_state_touched_condition(key_column, touched) -%}
    {%- if execute and this is not none and is_incremental() -%}
        {{ return(key_column ~ ' in (select ' ~ touched ~ '.' ~ key_column ~ ' from ' ~ touched ~ ')') }}
    {%- endif -%}
    {{ return('true') }}
{%- endmacro %}
