{#-
    The GA4 daily export as a relation (a parenthesised subquery with the export's
    columns), limited to the shards dated start_suffix .. end_suffix ('YYYYMMDD',
    inclusive; none = unbounded on that side).

    Pruning is what makes incremental runs cheap, so each dialect filters on the
    shard's name rather than on event_date (which would read every shard):
    - BigQuery: the `events_*` wildcard with a constant `_TABLE_SUFFIX` range, which
      BigQuery resolves before scanning. Intraday shards (`events_intraday_*`, whose
      suffix starts with 'intraday_') always fall outside the digit-only range: the
      daily table replaces them once it lands, and reading both would count the
      same events twice.
    - DuckDB: the local `events_YYYYMMDD.parquet` files. At run time the macro
      lists the shards (glob) and reads only the window's files, by name. A filter
      on DuckDB's `filename` column is not enough: DuckDB does skip the other files'
      data ("Scanning Files: 4/N" in EXPLAIN ANALYZE), but it still opens every
      file's footer to bind the schema with union_by_name (and the first file's
      without it), so the cost of a run would grow with the whole history.
    Columns Google added to the export later (session_traffic_source_last_click,
    mid-2024) are missing from older shards. BigQuery's wildcard table takes the
    newest table's schema and gives older tables nulls; DuckDB's union_by_name
    does the same only when one file of the window has the column, so the DuckDB
    relation is also unioned by name with an empty typed row of those columns.
-#}
{% macro ga4_events_source(start_suffix=none, end_suffix=none) -%}
    {%- for suffix in [start_suffix, end_suffix] -%}
        {%- if suffix is not none and not (suffix | string | length == 8 and (suffix | string).isdigit()) -%}
            {{ exceptions.raise_compiler_error(
                "ga4_events_source: shard suffix '" ~ suffix ~ "' is not YYYYMMDD. "
                ~ "Pass dates as 'YYYYMMDD' text (vars start_date / end_date take YYYY-MM-DD)."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('ga4_events_source')(start_suffix, end_suffix)) }}
{%- endmacro %}


{% macro default__ga4_events_source(start_suffix, end_suffix) -%}
    {{ no_adapter_implementation('ga4_events_source') }}
{%- endmacro %}

{% macro bigquery__ga4_events_source(start_suffix, end_suffix) -%}
(
        select *
        from {{ source('ga4', 'events') }}
        where _table_suffix between '{{ start_suffix or "00000000" }}' and '{{ end_suffix or "99999999" }}'
    )
{%- endmacro %}


{% macro duckdb__ga4_events_source(start_suffix, end_suffix) -%}
    {#- Called at parse time too, so that dbt records the lineage. -#}
    {%- set relation = source('ga4', 'events') -%}
    {%- if start_suffix is none and end_suffix is none or not execute -%}
(select * from {{ relation }} {{ _ga4_later_columns_duckdb() }})
    {%- else -%}
        {%- set shard_glob = _ga4_source_meta().get('ga4_shard_glob') -%}
        {%- set glob_literal = "'" ~ shard_glob ~ "'" -%}
        {%- if not shard_glob or glob_literal not in relation.external -%}
            {{ exceptions.raise_compiler_error(
                "ga4_events_source: the ga4 source in models/staging/__sources.yml must define "
                ~ "meta.ga4_shard_glob and use it in meta.external_location as '{ga4_shard_glob}'; "
                ~ "found external_location " ~ relation.external ~ "."
            ) }}
        {%- endif -%}
        {%- set files = run_query("select file from glob(" ~ glob_literal ~ ") order by file").columns[0].values() -%}
        {%- set selected = [] -%}
        {%- for file in files -%}
            {%- set match = modules.re.search('events_([0-9]{8})[.]parquet$', file) -%}
            {%- if match and (start_suffix is none or match.group(1) >= start_suffix)
                and (end_suffix is none or match.group(1) <= end_suffix) -%}
                {%- do selected.append("'" ~ file | replace("'", "''") ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if selected | length == 0 -%}
            {#- No shard in the window: an empty relation with the source's columns. -#}
(select * from {{ relation }} where false {{ _ga4_later_columns_duckdb() }})
        {%- else -%}
(select * from {{ relation.external | replace(glob_literal, '[' ~ selected | join(', ') ~ ']') }} {{ _ga4_later_columns_duckdb() }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The export's later columns as an empty typed row, unioned by name: the fields
    the models read (union by name merges them with a shard's fuller struct). -#}
{% macro _ga4_later_columns_duckdb() -%}
 union all by name select cast(null as struct(
    manual_campaign struct(campaign_name varchar, source varchar, medium varchar)
)) as session_traffic_source_last_click where false
{%- endmacro %}


{#- The ga4 source's meta (ga4_shard_glob, external_location) from the graph. -#}
{% macro _ga4_source_meta() -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == 'ga4' and node.name == 'events' -%}
            {{ return(node.meta) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return({}) }}
{%- endmacro %}
