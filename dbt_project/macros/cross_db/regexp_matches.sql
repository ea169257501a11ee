{#- Whether text expression `expr` contains a match of the RE2 `pattern` (a
    Jinja string; anchor it with ^...$ for a whole-value match); null when expr
    is null. DuckDB calls it regexp_matches, BigQuery regexp_contains. -#}
{% macro regexp_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(expr, pattern) -%}
    {{ no_adapter_implementation('regexp_matches') }}
{%- endmacro %}

{% macro bigquery__regexp_matches(expr, pattern) -%}
regexp_contains({{ expr }}, {{ string_literal(pattern) }})
{%- endmacro %}

{% macro duckdb__regexp_matches(expr, pattern) -%}
regexp_matches({{ expr }}, {{ string_literal(pattern) }})
{%- endmacro %}
