{#-
    Which membership exports an incremental run of a model built per export must
    process. The loader's manifest holds one row per loaded object with the load
    id of its current rows: a new object, and an object loaded again (changed, or
    `python -m loader replace X X`), have a load id the model's table does not
    hold yet; a forgotten object has no manifest row any more. The models record
    each row's (source_uri, load_id).

    membership_exports_to_build(manifest, newer_than='load_id'): the URIs to read,
    as a list; read at run time, so that the raw table is filtered by literals (on
    BigQuery the raw table is clustered by _source_uri, and only literals prune
    it). Empty outside an incremental run.
    - newer_than='load_id' (stg_membership__member_snapshots, rows per export):
      the URIs whose current load the table does not hold.
    - newer_than='loaded_at' (stg_membership__members, one row per member, so it
      holds only the loads that won a member): the URIs loaded after the newest
      load the table holds (loaded_at is the loader's clock, the same value in the
      manifest and on the raw rows). An export loaded later whose rows all lose
      (an old export loaded late) is read again on each run until a newer load
      wins a member: correct, only repeated work.

    membership_exports_condition(uris): the raw rows of those objects, as a
    condition on literal URIs (false for none).

    membership_exports_delete_sql(manifest): the hook deleting the rows of
    every (source_uri, load_id) the manifest no longer names, i.e. of forgotten
    objects and of the earlier load of a reloaded one: a pre-hook of the
    per-export model, a post-hook of stg_membership__members (after its merge,
    only members in no export any more still have such a row). Nothing outside
    an incremental run.

    membership_load_is_gone(uri_column, load_id_column, manifest): the
    predicate "this row's load is no longer in the manifest".

    membership_rows_of_gone_loads_exist(manifest): whether any row of the table
    came from a load the manifest no longer names (stg_membership__members reads
    such members across every export). False outside an incremental run.

    membership_check_built_columns(columns): on an incremental run, fails with
    what to do when the table's columns are not `columns` (stg_membership__members
    merges rows column by column, and rows built before would lack a new column).
-#}
{% macro membership_exports_to_build(manifest, newer_than='load_id') -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set lookup -%}
        select manifest.source_uri
        from {{ manifest }} as manifest
        {% if newer_than == 'load_id' -%}
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
        {%- elif newer_than == 'loaded_at' -%}
            where manifest.loaded_at > (
                select coalesce(
                    max(built.loaded_at), {{ dbt.cast("'1970-01-01'", dbt.type_timestamp()) }}
                )
                from {{ this }} as built
            )
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "membership_exports_to_build: newer_than is 'load_id' or 'loaded_at', not '"
                ~ newer_than ~ "'"
            ) }}
        {%- endif %}
        order by manifest.source_uri
    {%- endset -%}
    {{ return(run_query(lookup).columns[0].values() | list) }}
{%- endmacro %}

{% macro membership_exports_delete_sql(manifest) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ membership_load_is_gone('source_uri', 'load_id', manifest) }}
    {%- endif -%}
{%- endmacro %}

{% macro membership_exports_condition(uris) -%}
    {%- if uris -%}
        _source_uri in (
            {%- for uri in uris %}
                {{ string_literal(uri) }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{% macro membership_load_is_gone(uri_column, load_id_column, manifest) -%}
    ({{ uri_column }} || '|' || {{ load_id_column }} not in (
        select manifest.source_uri || '|' || manifest.load_id
        from {{ manifest }} as manifest
    ))
{%- endmacro %}

{% macro membership_rows_of_gone_loads_exist(manifest) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set lookup -%}
        select count(*) as gone_rows
        from {{ this }}
        where {{ membership_load_is_gone('source_uri', 'load_id', manifest) }}
    {%- endset -%}
    {{ return(run_query(lookup).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro membership_check_built_columns(columns) -%}
    {%- if execute and is_incremental() -%}
        {%- set built = adapter.get_columns_in_relation(this) | map(attribute='name')
            | map('lower') | list -%}
        {%- if built != columns -%}
            {{ exceptions.raise_compiler_error(
                this.identifier ~ " was built with the columns " ~ built | join(', ')
                ~ " and now has " ~ columns | join(', ') ~ " (var member_extra_columns "
                ~ "changed, or the table predates a column). Rebuild it and what reads it "
                ~ "once: dbt build --full-refresh -s " ~ this.identifier ~ "+"
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
