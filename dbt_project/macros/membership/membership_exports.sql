{#-
    Which membership exports an incremental run of a model built per export
    (stg_membership__member_snapshots) must process. The loader's manifest holds
    one row per loaded object with the load id of its current rows: a new object,
    and an object loaded again (changed, or `python -m loader replace X X`), have
    a load id the model's table does not hold yet; a forgotten object has no
    manifest row any more. The model records each row's (source_uri, load_id).

    membership_exports_to_build(manifest): the URIs whose current load the table
    does not hold, as a list; read at run time, so that the raw table is filtered
    by literals (on BigQuery the raw table is clustered by _source_uri, and only
    literals prune it). Empty outside an incremental run.

    membership_exports_delete_sql(manifest): the pre-hook deleting the rows of
    every (source_uri, load_id) the manifest no longer names, i.e. of forgotten
    objects and of the earlier load of a reloaded one. Nothing outside an
    incremental run.
-#}
{% macro membership_exports_to_build(manifest) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set lookup -%}
        select manifest.source_uri
        from {{ manifest }} as manifest
        left join (
            select distinct
                source_uri,
                load_id
            from {{ this }}
        ) as built
            on
                manifest.source_uri = built.source_uri
                and manifest.load_id = built.load_id
        where built.source_uri is null
        order by manifest.source_uri
    {%- endset -%}
    {{ return(run_query(lookup).columns[0].values() | list) }}
{%- endmacro %}

{% macro membership_exports_delete_sql(manifest) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where source_uri || '|' || load_id not in (
            select manifest.source_uri || '|' || manifest.load_id
            from {{ manifest }} as manifest
        )
    {%- endif -%}
{%- endmacro %}
