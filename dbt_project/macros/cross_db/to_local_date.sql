{#- The calendar date, in time zone `tz`, of a UTC timestamp (naive UTC on DuckDB). -#}
{% macro to_local_date(utc_timestamp, tz) -%}
    {{ return(adapter.dispatch('to_local_date')(utc_timestamp, tz)) }}
{%- endmacro %}

{% macro default__to_local_date(utc_timestamp, tz) -%}
    {{ no_adapter_implementation('to_local_date') }}
{%- endmacro %}

{% macro bigquery__to_local_date(utc_timestamp, tz) -%}
date({{ utc_timestamp }}, '{{ tz }}')
{%- endmacro %}

{% macro duckdb__to_local_date(utc_timestamp, tz) -%}
cast(timezone('{{ tz }}', timezone('UTC', {{ utc_timestamp }})) as date)
{%- endmacro %}
