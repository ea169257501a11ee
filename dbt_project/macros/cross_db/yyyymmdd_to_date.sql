{#- A date from 'YYYYMMDD' text (GA4's event_date and shard suffix); null when the
    text is not such a date. -#}
{% macro yyyymmdd_to_date(expr) -%}
    {{ return(adapter.dispatch('yyyymmdd_to_date')(expr)) }}
{%- endmacro %}

{% macro default__yyyymmdd_to_date(expr) -%}
    {{ no_adapter_implementation('yyyymmdd_to_date') }}
{%- endmacro %}

{% macro bigquery__yyyymmdd_to_date(expr) -%}
safe.parse_date('%Y%m%d', {{ expr }})
{%- endmacro %}

{% macro duckdb__yyyymmdd_to_date(expr) -%}
cast(try_strptime({{ expr }}, '%Y%m%d') as date)
{%- endmacro %}
