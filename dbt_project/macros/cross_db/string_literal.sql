{#- A text as a SQL string literal. The dialects escape a quote differently:
    BigQuery with a backslash, DuckDB by doubling it. -#}
{% macro string_literal(text) -%}
    {{ return(adapter.dispatch('string_literal')(text)) }}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    {{ no_adapter_implementation('string_literal') }}
{%- endmacro %}

{% macro bigquery__string_literal(text) -%}
'{{ text | replace("\\", "\\\\") | replace("'", "\\'") | replace("\n", "\\n") }}'
{%- endmacro %}

{% macro duckdb__string_literal(text) -%}
'{{ text | replace("'", "''") }}'
{%- endmacro %}
