{#-
    The GA4 export's daily tables (`events_YYYYMMDD`, never `events_intraday_*`) as a
    relation, one row per table: table_date (the date its name carries),
    table_created_at_utc and table_modified_at_utc (UTC, null where the warehouse
    keeps no such metadata). Read when the model runs, so a table that landed since
    the last run is listed.
    - BigQuery: the dataset's tables through the API (one tables.get per daily
      table for its creation and last-modified times). The `__TABLES__` view would
      give both in one query, and INFORMATION_SCHEMA.TABLES the creation time
      only; the local BigQuery emulator the tests use has neither, and the API
      gives the same values on both.
    - DuckDB: the local `events_YYYYMMDD.parquet` files of the ga4 source's glob.
      A file's modification time says when it was copied, not when Google wrote
      the table, so both times are null.
-#}
{% macro ga4_daily_tables() -%}
    {{ return(adapter.dispatch('ga4_daily_tables')()) }}
{%- endmacro %}


{% macro default__ga4_daily_tables() -%}
    {{ no_adapter_implementation('ga4_daily_tables') }}
{%- endmacro %}


{% macro bigquery__ga4_daily_tables() -%}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- for shard in ga4_bigquery_daily_shards() -%}
            {%- set metadata = adapter.get_bq_table(shard.relation) -%}
            {%- do rows.append({
                'suffix': shard.suffix,
                'created': _ga4_utc_literal(metadata.created if metadata else none),
                'modified': _ga4_utc_literal(metadata.modified if metadata else none),
            }) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if rows | length == 0 -%}
        {{ return(_ga4_no_daily_tables()) }}
    {%- endif -%}
(
        {%- for row in rows | sort(attribute='suffix') %}
        select
            {{ yyyymmdd_to_date("'" ~ row.suffix ~ "'") }} as table_date,
            {{ row.created }} as table_created_at_utc,
            {{ row.modified }} as table_modified_at_utc
        {{- '\n        union all' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{#- The GA4 export's daily tables on BigQuery (`events_YYYYMMDD`, not the intraday
    ones), oldest first, as {'suffix': 'YYYYMMDD', 'relation': the table}: from the
    dataset's table list, an API call that bills nothing. -#}
{% macro ga4_bigquery_daily_shards() -%}
    {%- set source_relation = source('ga4', 'events') -%}
    {%- set dataset = api.Relation.create(database=source_relation.database, schema=source_relation.schema) -%}
    {%- set shards = [] -%}
    {%- for table in adapter.list_relations_without_caching(dataset) -%}
        {%- set match = modules.re.match('^events_([0-9]{8})$', table.identifier) -%}
        {%- if match -%}
            {%- do shards.append({'suffix': match.group(1), 'relation': table}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(shards | sort(attribute='suffix')) }}
{%- endmacro %}


{#- The relation with no daily table, typed. -#}
{% macro _ga4_no_daily_tables() -%}
(
        select
            cast(null as date) as table_date,
            cast(null as timestamp) as table_created_at_utc,
            cast(null as timestamp) as table_modified_at_utc
        limit 0
    )
{%- endmacro %}


{#- A timestamp literal for an aware datetime from the API (UTC), or a typed null. -#}
{% macro _ga4_utc_literal(moment) -%}
    {%- if moment is none -%}
        {{ return('cast(null as timestamp)') }}
    {%- endif -%}
    {%- set utc = moment.astimezone(modules.pytz.utc) -%}
    {{ return("timestamp '" ~ utc.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "+00'") }}
{%- endmacro %}


{% macro duckdb__ga4_daily_tables() -%}
    {#- The source is named at parse time too, so that dbt records the lineage. -#}
    {%- set relation = source('ga4', 'events') -%}
    {%- if not execute -%}
        {{ return(_ga4_no_daily_tables()) }}
    {%- endif -%}
    {%- set shard_glob = _ga4_source_meta().get('ga4_shard_glob') -%}
    {%- if not shard_glob -%}
        {{ exceptions.raise_compiler_error(
            "ga4_daily_tables: the ga4 source in models/staging/__sources.yml must define "
            ~ "meta.ga4_shard_glob, the glob of the events_YYYYMMDD.parquet files."
        ) }}
    {%- endif -%}
(
        select
            {{ yyyymmdd_to_date("regexp_extract(file, 'events_([0-9]{8})[.]parquet$', 1)") }} as table_date,
            cast(null as timestamp) as table_created_at_utc,
            cast(null as timestamp) as table_modified_at_utc
        from glob('{{ shard_glob | replace("'", "''") }}')
        where regexp_matches(file, 'events_[0-9]{8}[.]parquet$')
    )
{%- endmacro %}
