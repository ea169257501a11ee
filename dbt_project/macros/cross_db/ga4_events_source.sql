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
    Columns Google added to the export later (ga4_later_columns: is_active_user,
    collected_traffic_source, session_traffic_source_last_click) are missing from
    older shards, and from every shard of an export that predates them (Google's
    public sample dataset, a backfill of a property's early days). The relation
    always has them, as typed nulls where the export lacks them:
    - BigQuery: the wildcard table takes the schema of the most recently created
      table that matches `events_*`, and a column it lacks does not compile. At run
      time the macro reads the columns of the newest daily shard and of the newest
      intraday table (the candidates for "most recently created"; a column counts
      when both have it) through the API, and selects a typed null for each later
      column that is missing.
    - DuckDB: union_by_name gives a file that lacks a column nulls only when another
      file of the window has it, so the relation is also unioned by name with an
      empty typed row of the later columns (a shard's fuller struct merges with it).
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
    {%- set relation = source('ga4', 'events') -%}
    {%- set present = _ga4_export_columns_bigquery(relation) if execute else none -%}
    {%- set missing = [] -%}
    {%- for column in ga4_later_columns() -%}
        {%- if present is not none and column.name not in present -%}
            {%- do missing.append(ga4_typed_null(column) ~ ' as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
(
        select
            *{% for expression in missing %},
            {{ expression }}{% endfor %}
        from {{ relation }}
        where _table_suffix between '{{ start_suffix or "00000000" }}' and '{{ end_suffix or "99999999" }}'
    )
{%- endmacro %}


{#- The lowercased column names the `events_*` wildcard has: those of the newest daily
    shard, less any the newest intraday table lacks. None when the dataset holds no
    shard (the query then fails as the source would, naming the dataset). -#}
{% macro _ga4_export_columns_bigquery(relation) -%}
    {%- set dataset = api.Relation.create(database=relation.database, schema=relation.schema) -%}
    {%- set newest = {} -%}
    {%- for table in adapter.list_relations_without_caching(dataset) -%}
        {%- set match = modules.re.match('^events_(intraday_)?([0-9]{8})$', table.identifier) -%}
        {%- if match -%}
            {%- set kind = 'intraday' if match.group(1) else 'daily' -%}
            {%- if kind not in newest or match.group(2) > newest[kind].suffix -%}
                {%- do newest.update({kind: {'suffix': match.group(2), 'relation': table}}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not newest -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set present = [] -%}
    {%- for kind in newest -%}
        {%- set names = adapter.get_columns_in_relation(newest[kind].relation) | map(attribute='name') | map('lower') | list -%}
        {%- if present | length == 0 -%}
            {%- do present.extend(names) -%}
        {%- else -%}
            {%- set kept = present | select('in', names) | list -%}
            {%- do present.clear() -%}
            {%- do present.extend(kept) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(present) }}
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


{#- The export's later columns as an empty typed row, unioned by name. -#}
{% macro _ga4_later_columns_duckdb() -%}
 union all by name select
    {%- for column in ga4_later_columns() %}
    {{ ga4_typed_null(column) }} as {{ column.name }}{{ ',' if not loop.last }}
    {%- endfor %}
 where false
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
