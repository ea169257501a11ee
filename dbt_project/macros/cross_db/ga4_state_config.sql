{#-
    The incremental config of a GA4 state table: one row per key (a device, a
    pair of ids) that each run rewrites only for the keys its GA4 date window
    touches, for `{{ config(**ga4_state_config('user_pseudo_id')) }}`. The
    model's SQL returns a row for every touched key; a key left without data
    returns a row whose `tombstone_column` is null, which replaces the old row
    and is then deleted by the post-hook (neither warehouse's upsert deletes a
    key that is absent from the new rows). How the new rows replace the old
    ones differs:
    - BigQuery: merge on the key (an update of the matched rows, an insert of
      the others), the table clustered on cluster_by;
    - DuckDB: delete+insert on the key.
    The model's own date columns (first and last day of a key's data) let it
    find the keys with old data in the window (macros/ga4/ga4_state_window.sql).
-#}
{% macro ga4_state_config(unique_key, tombstone_column, cluster_by=none) -%}
    {{ return(adapter.dispatch('ga4_state_config')(unique_key, tombstone_column, cluster_by)) }}
{%- endmacro %}


{% macro default__ga4_state_config(unique_key, tombstone_column, cluster_by) -%}
    {{ no_adapter_implementation('ga4_state_config') }}
{%- endmacro %}

{% macro bigquery__ga4_state_config(unique_key, tombstone_column, cluster_by) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'merge',
        'unique_key': unique_key,
        'cluster_by': cluster_by,
        'on_schema_change': 'append_new_columns',
        'post_hook': 'delete from {{ this }} where ' ~ tombstone_column ~ ' is null',
    }) }}
{%- endmacro %}


{% macro duckdb__ga4_state_config(unique_key, tombstone_column, cluster_by) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'append_new_columns',
        'post_hook': 'delete from {{ this }} where ' ~ tombstone_column ~ ' is null',
    }) }}
{%- endmacro %}
