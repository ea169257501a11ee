{#- A timestamp from microseconds since the Unix epoch (GA4's event_timestamp).
    UTC: a BigQuery TIMESTAMP; on DuckDB a naive TIMESTAMP holding UTC, like every
    other *_at / *_timestamp column of the project. -#}
{% macro micros_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('micros_to_timestamp')(expr)) }}
{%- endmacro %}

{% macro default__micros_to_timestamp(expr) -%}
    {{ no_adapter_implementation('micros_to_timestamp') }}
{%- endmacro %}

{% macro bigquery__micros_to_timestamp(expr) -%}
timestamp_micros({{ expr }})
{%- endmacro %}

{% macro duckdb__micros_to_timestamp(expr) -%}
make_timestamp({{ expr }})
{%- endmacro %}
