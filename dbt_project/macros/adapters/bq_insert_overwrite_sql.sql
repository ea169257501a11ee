{#-
    The project's override of dbt-bigquery's bq_insert_overwrite_sql (the
    insert_overwrite step of its incremental materialization; dbt takes a root
    project macro over an adapter's of the same name). Only the GA4 models
    change: their config (ga4_incremental_config) sets meta.ga4_date_column, and
    for them the partitions to replace are computed here, at run time, as literal
    dates (ga4_partitions_to_replace), then handed to dbt-bigquery's own static
    insert_overwrite. Literals let BigQuery prune the target's partitions in the
    merge; a `partitions` config could only hold what dbt knows at parse time,
    i.e. subqueries such as date_sub((select max(event_date) from this), ...),
    which prune nothing. With no day to replace, the list is a null date, which
    matches no partition: the merge only inserts.
    Any other model goes to dbt-bigquery's macro unchanged (`dbt.` names the
    internal packages' macros, the adapter's included).
-#}
{% macro bq_insert_overwrite_sql(
    tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions
) %}
    {%- set date_column = config.meta_get('ga4_date_column') -%}
    {%- if date_column is none -%}
        {{ return(dbt.bq_insert_overwrite_sql(
            tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions
        )) }}
    {%- endif -%}
    {%- set days = ga4_partitions_to_replace(date_column) or ['cast(null as date)'] -%}
    {{ return(bq_static_insert_overwrite_sql(
        tmp_relation, target_relation, sql, partition_by, days, dest_columns, tmp_relation_exists, copy_partitions
    )) }}
{% endmacro %}
