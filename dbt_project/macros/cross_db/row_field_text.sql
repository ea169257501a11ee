{#-
    The text value of column `field` in the current row of `row_alias`, or null
    when the relation has no such column. The raw membership table gains extra
    CSV columns (plan_price_krw, country, ...) only once a file carries them, so
    staging reads them through the row's JSON form instead of by name: no
    introspective query (which would need a live warehouse even for
    `dbt compile`), and no failure when the column is absent.
-#}
{% macro row_field_text(row_alias, field) -%}
    {{ return(adapter.dispatch('row_field_text')(row_alias, field)) }}
{%- endmacro %}

{% macro default__row_field_text(row_alias, field) -%}
    {{ no_adapter_implementation('row_field_text') }}
{%- endmacro %}

{% macro bigquery__row_field_text(row_alias, field) -%}
json_value(to_json_string({{ row_alias }}), '$.{{ field }}')
{%- endmacro %}

{% macro duckdb__row_field_text(row_alias, field) -%}
json_extract_string(to_json({{ row_alias }}), '$.{{ field }}')
{%- endmacro %}
