{#- `expr` cast to `data_type`, null when the value does not convert (rather than
    an error). dbt's own safe_cast is a plain cast on DuckDB, which fails the whole
    query on one bad value. -#}
{% macro try_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('try_cast')(expr, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expr, data_type) -%}
    {{ no_adapter_implementation('try_cast') }}
{%- endmacro %}

{% macro bigquery__try_cast(expr, data_type) -%}
safe_cast({{ expr }} as {{ data_type }})
{%- endmacro %}

{% macro duckdb__try_cast(expr, data_type) -%}
try_cast({{ expr }} as {{ data_type }})
{%- endmacro %}
