{#-
    The incremental config of a model that holds rows per membership export
    (stg_membership__member_snapshots), for
    `{{ config(**membership_export_incremental_config()) }}`. Each run deletes the
    rows of exports no longer loaded as they were (membership_exports_delete_sql,
    a pre-hook) and inserts the rows of exports not yet in the table, so the
    write itself is an insert; the warehouses name that differently:
    - BigQuery: merge without a unique_key, which dbt-bigquery writes as a merge
      on false, i.e. an insert of every new row.
    - DuckDB: append.
    on_schema_change fail: rows written before a change of the model's columns
    would not hold the new ones, so such a change needs --full-refresh.
-#}
{% macro membership_export_incremental_config() -%}
    {{ return(adapter.dispatch('membership_export_incremental_config')()) }}
{%- endmacro %}

{% macro default__membership_export_incremental_config() -%}
    {{ no_adapter_implementation('membership_export_incremental_config') }}
{%- endmacro %}

{% macro bigquery__membership_export_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'merge',
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{% macro duckdb__membership_export_incremental_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}
