{#- The first day of the calendar month holding date `d` (date arithmetic on
    BigQuery, for the same emulator reason as week_start). -#}
{% macro month_start(d) -%}
    {{ return(adapter.dispatch('month_start')(d)) }}
{%- endmacro %}

{% macro default__month_start(d) -%}
    {{ no_adapter_implementation('month_start') }}
{%- endmacro %}

{% macro bigquery__month_start(d) -%}
date_sub({{ d }}, interval extract(day from {{ d }}) - 1 day)
{%- endmacro %}

{% macro duckdb__month_start(d) -%}
cast(date_trunc('month', {{ d }}) as date)
{%- endmacro %}
