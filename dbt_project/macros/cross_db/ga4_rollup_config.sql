{#-
    The incremental config of a GA4 mart with one row per day whose value on a
    day depends on the days before it (the rolling windows of
    fct_ga4__active_users_daily), for `{{ config(**ga4_rollup_config()) }}`. A
    run rewrites the days from its GA4 window's start on, and on a backfill the
    days after the range that its windows reach; those can lie beyond the days
    ga4_incremental_config's partition list names, so the rows replace the
    table's rows of the same day by key:
    - BigQuery: merge on event_date (the table holds one small row a day);
    - DuckDB: delete+insert on event_date.
-#}
{% macro ga4_rollup_config() -%}
    {{ return(adapter.dispatch('ga4_rollup_config')()) }}
{%- endmacro %}

{% macro default__ga4_rollup_config() -%}
    {{ no_adapter_implementation('ga4_rollup_config') }}
{%- endmacro %}

{% macro bigquery__ga4_rollup_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'merge',
        'unique_key': 'event_date',
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}

{% macro duckdb__ga4_rollup_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'event_date',
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}
