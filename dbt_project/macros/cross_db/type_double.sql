{#- A double-precision float: FLOAT64 on BigQuery, DOUBLE on DuckDB. dbt's own
    type_float() gives DuckDB's 4-byte FLOAT, too coarse for rates. Used in casts
    and in the marts' contract data_type. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ no_adapter_implementation('type_double') }}
{%- endmacro %}

{% macro bigquery__type_double() -%}
float64
{%- endmacro %}

{% macro duckdb__type_double() -%}
double
{%- endmacro %}
