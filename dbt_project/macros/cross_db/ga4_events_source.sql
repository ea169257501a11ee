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
    - DuckDB: the local `events_YYYYMMDD.parquet` files, read with `filename = true`
      (see the source's external_location); DuckDB evaluates a filter that uses only
      the `filename` column against the file list and opens only matching files
      (EXPLAIN ANALYZE shows "Scanning Files: 4/N").
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
(
        select *
        from {{ source('ga4', 'events') }}
        where _table_suffix between '{{ start_suffix or "00000000" }}' and '{{ end_suffix or "99999999" }}'
    )
{%- endmacro %}


{% macro duckdb__ga4_events_source(start_suffix, end_suffix) -%}
(
        select *
        from {{ source('ga4', 'events') }}
        {%- if start_suffix is not none or end_suffix is not none %}
        where
            regexp_extract(filename, 'events_([0-9]{8})[.]parquet$', 1)
            between '{{ start_suffix or "00000000" }}' and '{{ end_suffix or "99999999" }}'
        {%- endif %}
    )
{%- endmacro %}
