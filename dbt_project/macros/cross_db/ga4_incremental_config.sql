{#-
    The incremental config of a GA4 model keyed by `event_date`, for
    `{{ config(**ga4_incremental_config(cluster_by=[...])) }}`. Each run rebuilds
    every event_date in ga4_date_window(); how a warehouse replaces those days
    differs, so the config is dispatched rather than written per model:
    - BigQuery: a table partitioned by day on event_date, clustered, and
      insert_overwrite on a STATIC list of partitions (dbt-bigquery's dynamic
      variant declares a script variable, which the local BigQuery emulator
      rejects; the static list is also cheaper). The list is fixed when dbt parses
      the project, so it holds expressions: the backfill's dates when vars
      start_date / end_date are set, else the ga4_lookback_days + 1 days up to the
      latest event_date already in the table. Days after it are new and are
      simply inserted.
    - DuckDB: delete+insert with unique_key event_date, i.e. every event_date
      present in the new rows is deleted from the table, then the rows inserted.
    date_column names the model's date column when it is not event_date.
-#}
{% macro ga4_incremental_config(cluster_by=none, date_column='event_date') -%}
    {{ return(adapter.dispatch('ga4_incremental_config')(cluster_by, date_column)) }}
{%- endmacro %}


{% macro default__ga4_incremental_config(cluster_by, date_column) -%}
    {{ no_adapter_implementation('ga4_incremental_config') }}
{%- endmacro %}

{% macro bigquery__ga4_incremental_config(cluster_by, date_column) -%}
    {%- set start_date = _ga4_checked_date_var('start_date') -%}
    {%- set end_date = _ga4_checked_date_var('end_date') -%}
    {%- set partitions = [] -%}
    {%- if start_date is not none -%}
        {#- Without end_date the backfill runs to the newest shard: cover up to
            tomorrow (UTC), since the property's time zone may be ahead of UTC. -#}
        {%- set first = modules.datetime.date.fromisoformat(start_date) -%}
        {%- set last = modules.datetime.date.fromisoformat(end_date) if end_date
            else modules.datetime.date.today() + modules.datetime.timedelta(days=1) -%}
        {%- for i in range((last - first).days + 1) -%}
            {%- set day = first + modules.datetime.timedelta(days=i) -%}
            {%- do partitions.append("date('" ~ day.isoformat() ~ "')") -%}
        {%- endfor -%}
    {%- else -%}
        {%- for i in range(ga4_lookback_days() + 1) -%}
            {%- do partitions.append(
                "date_sub((select max(" ~ date_column ~ ") from " ~ this ~ "), interval " ~ i ~ " day)"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': date_column, 'data_type': 'date', 'granularity': 'day'},
        'cluster_by': cluster_by,
        'partitions': partitions,
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}


{% macro duckdb__ga4_incremental_config(cluster_by, date_column) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': date_column,
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}
