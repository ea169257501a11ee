{#- The text of the first capturing group of the RE2 `pattern` (a Jinja string)
    in text expression `expr`; null when expr is null or nothing matches. BigQuery's
    regexp_extract returns the group already (and null on no match); DuckDB's needs
    the group number and returns '' on no match. -#}
{% macro regexp_capture(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_capture')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_capture(expr, pattern) -%}
    {{ no_adapter_implementation('regexp_capture') }}
{%- endmacro %}

{% macro bigquery__regexp_capture(expr, pattern) -%}
regexp_extract({{ expr }}, {{ string_literal(pattern) }})
{%- endmacro %}

{% macro duckdb__regexp_capture(expr, pattern) -%}
nullif(regexp_extract({{ expr }}, {{ string_literal(pattern) }}, 1), '')
{%- endmacro %}
