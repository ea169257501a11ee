{#- The instant a calendar date begins in time zone `tz`, as a UTC timestamp (naive
    UTC on DuckDB, as to_local_date takes it). -#}
{% macro local_midnight_utc(date_expr, tz) -%}
    {{ return(adapter.dispatch('local_midnight_utc')(date_expr, tz)) }}
{%- endmacro %}

{% macro default__local_midnight_utc(date_expr, tz) -%}
    {{ no_adapter_implementation('local_midnight_utc') }}
{%- endmacro %}

{% macro bigquery__local_midnight_utc(date_expr, tz) -%}
timestamp(datetime({{ date_expr }}), '{{ tz }}')
{%- endmacro %}

{% macro duckdb__local_midnight_utc(date_expr, tz) -%}
timezone('UTC', timezone('{{ tz }}', cast({{ date_expr }} as timestamp)))
{%- endmacro %}
