{#-
    The latest value of date_column (a DATE) in `relation`, an incremental GA4
    model's table, as 'YYYY-MM-DD', or none when the table has no row (and while
    dbt parses the project). Every incremental run asks it several times per model
    (the window's start, the partitions the merge replaces, the days its data tests
    read), so what it costs must not grow with the table's history:
    - BigQuery bills a query by the bytes of the columns it reads in the partitions
      it scans, and `select max(d) from t` scans every partition's date column (8
      bytes a row, the whole history). The query is bounded by a literal date
      instead, which BigQuery prunes on: ga4_latest_date_reach() days before the
      newest daily table of the GA4 export (from the dataset's table list, an API
      call that bills nothing). A bounded max is the table's max whenever it finds
      a row, so only a table that stopped more than that before the export's newest
      table (a pipeline down for weeks), or an export with no daily table, asks the
      whole column, once: the run that follows brings the table up to date.
    - DuckDB: the plain max. Nothing is billed, and the column's row-group
      statistics make it cheap.
-#}
{% macro ga4_latest_date(relation, date_column) -%}
    {#- Nothing is queried while dbt parses the project. -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.dispatch('ga4_latest_date')(relation, date_column)) }}
{%- endmacro %}


{% macro default__ga4_latest_date(relation, date_column) -%}
    {{ no_adapter_implementation('ga4_latest_date') }}
{%- endmacro %}


{% macro duckdb__ga4_latest_date(relation, date_column) -%}
    {{ return(_ga4_max_date(relation, date_column)) }}
{%- endmacro %}


{% macro bigquery__ga4_latest_date(relation, date_column) -%}
    {%- set newest = _ga4_newest_daily_table_date() -%}
    {%- if newest is not none -%}
        {%- set since = newest - modules.datetime.timedelta(days=ga4_latest_date_reach()) -%}
        {%- set latest = _ga4_max_date(relation, date_column, since) -%}
        {%- if latest is not none -%}
            {{ return(latest) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(_ga4_max_date(relation, date_column)) }}
{%- endmacro %}


{#- How many days before the export's newest daily table the bounded look-up
    reaches: the table's latest day is normally the day before it (or the session
    before that, on session_date), and a month leaves room for missed runs. -#}
{% macro ga4_latest_date_reach() -%}
    {{ return(31) }}
{%- endmacro %}


{#- max(date_column) of relation, from `since` (a date) on when given. -#}
{% macro _ga4_max_date(relation, date_column, since=none) -%}
    {%- set query -%}
        select max({{ date_column }}) from {{ relation }}
        {%- if since is not none %} where {{ date_column }} >= cast('{{ since.isoformat() }}' as date){% endif %}
    {%- endset -%}
    {%- set latest = run_query(query).columns[0].values()[0] -%}
    {{ return(none if latest is none else (latest | string)[:10]) }}
{%- endmacro %}


{#- The date of the GA4 export's newest daily table (events_YYYYMMDD), or none. -#}
{% macro _ga4_newest_daily_table_date() -%}
    {%- set shards = ga4_bigquery_daily_shards() -%}
    {%- if shards | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(shards[-1].suffix, '%Y%m%d').date()) }}
{%- endmacro %}
