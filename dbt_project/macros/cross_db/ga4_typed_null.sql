{#- A typed null for one of ga4_later_columns(): `cast(null as <type>)`, the type
    written in the dialect's own syntax (a struct is struct(...) on DuckDB and
    struct<...> on BigQuery). -#}
{% macro ga4_typed_null(column) -%}
    {{ return(adapter.dispatch('ga4_typed_null')(column)) }}
{%- endmacro %}


{% macro default__ga4_typed_null(column) -%}
    {{ no_adapter_implementation('ga4_typed_null') }}
{%- endmacro %}


{% macro bigquery__ga4_typed_null(column) -%}
cast(null as {{ _ga4_bigquery_type(column.get('fields') or column.type) }})
{%- endmacro %}

{% macro _ga4_bigquery_type(spec) -%}
    {%- if spec is mapping -%}
struct<{% for name, inner in spec.items() %}{{ name }} {{ _ga4_bigquery_type(inner) }}{{ ', ' if not loop.last }}{% endfor %}>
    {%- else -%}
{{ {'string': 'string', 'boolean': 'bool'}[spec] }}
    {%- endif -%}
{%- endmacro %}


{% macro duckdb__ga4_typed_null(column) -%}
cast(null as {{ _ga4_duckdb_type(column.get('fields') or column.type) }})
{%- endmacro %}

{% macro _ga4_duckdb_type(spec) -%}
    {%- if spec is mapping -%}
struct({% for name, inner in spec.items() %}{{ name }} {{ _ga4_duckdb_type(inner) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
{{ {'string': 'varchar', 'boolean': 'boolean'}[spec] }}
    {%- endif -%}
{%- endmacro %}
