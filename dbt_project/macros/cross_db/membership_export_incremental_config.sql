{#-
    The incremental config of a membership model built export by export, for
    `{{ config(**membership_export_incremental_config(unique_key=...)) }}`.

    Without a unique_key (stg_membership__member_snapshots: rows per export) each
    run deletes the rows of exports no longer loaded as they were
    (membership_exports_delete_sql, a pre-hook) and inserts the rows of exports
    not yet in the table, so the write itself is an insert; the warehouses name
    that differently:
    - BigQuery: merge without a unique_key, which dbt-bigquery writes as a merge
      on false, i.e. an insert of every new row.
    - DuckDB: append.
    With a unique_key (stg_membership__members: one row per member) the run's rows
    replace the table's rows of the same key:
    - BigQuery: merge on the key.
    - DuckDB: delete+insert on the key (dbt-duckdb's merge needs DuckDB's MERGE
      and gives nothing more here).
    on_schema_change fail: rows written before a change of the model's columns
    would not hold the new ones, so such a change needs --full-refresh.
-#}
{% macro membership_export_incremental_config(unique_key=none) -%}
    {{ return(adapter.dispatch('membership_export_incremental_config')(unique_key)) }}
{%- endmacro %}

{% macro default__membership_export_incremental_config(unique_key) -%}
    {{ no_adapter_implementation('membership_export_incremental_config') }}
{%- endmacro %}

{% macro bigquery__membership_export_incremental_config(unique_key) -%}
    {%- set config = {
        'materialized': 'incremental',
        'incremental_strategy': 'merge',
        'on_schema_change': 'fail',
    } -%}
    {%- if unique_key -%}
        {%- do config.update({'unique_key': unique_key}) -%}
    {%- endif -%}
    {{ return(config) }}
{%- endmacro %}

{% macro duckdb__membership_export_incremental_config(unique_key) -%}
    {%- set config = {
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert' if unique_key else 'append',
        'on_schema_change': 'fail',
    } -%}
    {%- if unique_key -%}
        {%- do config.update({'unique_key': unique_key}) -%}
    {%- endif -%}
    {{ return(config) }}
{%- endmacro %}
