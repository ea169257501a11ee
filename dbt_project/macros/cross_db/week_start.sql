{#-
    The Monday of the ISO week holding date `d`.
    BigQuery: plain WEEK starts on Sunday, and the local BigQuery emulator gets
    DATE_TRUNC(d, WEEK(MONDAY)) wrong, so compute it with date arithmetic
    (dayofweek: Sunday = 1 ... Saturday = 7; Monday -> 0 days back).
-#}
{% macro week_start(d) -%}
    {{ return(adapter.dispatch('week_start')(d)) }}
{%- endmacro %}

{% macro default__week_start(d) -%}
    {{ no_adapter_implementation('week_start') }}
{%- endmacro %}

{% macro bigquery__week_start(d) -%}
date_sub({{ d }}, interval mod(extract(dayofweek from {{ d }}) + 5, 7) day)
{%- endmacro %}

{#- DuckDB's week truncation is ISO (Monday). -#}
{% macro duckdb__week_start(d) -%}
cast(date_trunc('week', {{ d }}) as date)
{%- endmacro %}
