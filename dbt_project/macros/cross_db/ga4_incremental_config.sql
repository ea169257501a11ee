{#-
    The incremental config of a GA4 model keyed by `event_date`, for
    `{{ config(**ga4_incremental_config(cluster_by=[...])) }}`. Each run rebuilds
    every event_date in ga4_date_window(); how a warehouse replaces those days
    differs, so the config is dispatched rather than written per model:
    - BigQuery: a table partitioned by day on event_date, clustered, and
      insert_overwrite on a STATIC list of partitions (dbt-bigquery's dynamic
      variant declares a script variable, which the local BigQuery emulator
      rejects, and scans a temporary table for its partitions). The list must be
      literal dates for BigQuery to prune the target's partitions, and it depends
      on the table's latest day, which only a query at run time knows; a model's
      config() is fixed when dbt parses the project (no queries then), so the
      config names the date column in meta.ga4_date_column and the project's
      bq_insert_overwrite_sql (macros/adapters/) asks ga4_partitions_to_replace
      for the literal days just before the merge.
    - DuckDB: delete+insert with unique_key event_date, i.e. every event_date
      present in the new rows is deleted from the table, then the rows inserted.
    date_column names the model's date column when it is not event_date; both
    targets record it in meta.ga4_date_column, which also tells the data tests of
    the model which days an incremental run rewrote (macros/tests/get_where_subquery.sql).
-#}
{% macro ga4_incremental_config(cluster_by=none, date_column='event_date') -%}
    {{ return(adapter.dispatch('ga4_incremental_config')(cluster_by, date_column)) }}
{%- endmacro %}


{% macro default__ga4_incremental_config(cluster_by, date_column) -%}
    {{ no_adapter_implementation('ga4_incremental_config') }}
{%- endmacro %}

{% macro bigquery__ga4_incremental_config(cluster_by, date_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': date_column, 'data_type': 'date', 'granularity': 'day'},
        'cluster_by': cluster_by,
        'meta': {'ga4_date_column': date_column},
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}


{% macro duckdb__ga4_incremental_config(cluster_by, date_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': date_column,
        'meta': {'ga4_date_column': date_column},
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}
