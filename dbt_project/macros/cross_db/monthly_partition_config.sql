{#- The table config of a mart that grows by month, for
    `{{ config(**monthly_partition_config('month_start')) }}`: on BigQuery a
    table partitioned by month on that date column (queries of recent months
    scan only their partitions); on DuckDB a plain table, since dbt-duckdb's
    partition_by means something else (a list of columns for external files). -#}
{% macro monthly_partition_config(field) -%}
    {{ return(adapter.dispatch('monthly_partition_config')(field)) }}
{%- endmacro %}

{% macro default__monthly_partition_config(field) -%}
    {{ no_adapter_implementation('monthly_partition_config') }}
{%- endmacro %}

{% macro bigquery__monthly_partition_config(field) -%}
    {{ return({
        'materialized': 'table',
        'partition_by': {'field': field, 'data_type': 'date', 'granularity': 'month'},
    }) }}
{%- endmacro %}

{% macro duckdb__monthly_partition_config(field) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
