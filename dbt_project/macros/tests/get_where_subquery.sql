{#-
    dbt's `where` config of a data test, plus the window of the big incremental
    GA4 tables (the models whose config has meta.ga4_date_column, set by
    ga4_incremental_config). A data test on such a model, with no `where` of its
    own or with the placeholder `where: "__ga4_recent_days__"`, tests
    - every row on a full refresh (the whole table was just written);
    - the backfill range on a run with vars start_date / end_date;
    - otherwise the last ga4_test_window_days days before the model's newest date
      (a literal date, looked up when the test runs),
      which covers the days an incremental run rewrites (ga4_lookback_days before
      the previous newest day, and the days added since) with room for a few missed
      daily runs. Older days were tested by the run that wrote them, and an
      incremental run replaces whole days, so a test over the history would only
      rescan them. A full refresh (and the test suite, whose first build is one)
      checks the whole history.
    A test that must read the whole history on every run says so with
    `where: "1 = 1"`. Any other `where` behaves exactly as dbt's own.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set date_column = ga4_tested_date_column() -%}
    {%- if not where and date_column is not none -%}
        {%- set where = '__ga4_recent_days__' -%}
    {%- endif -%}
    {%- if where and '__ga4_recent_days__' in where -%}
        {%- set where = where | replace('__ga4_recent_days__', ga4_recent_days_filter(relation, date_column or 'event_date')) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- The date column of the incremental GA4 model this data test is attached to, or none. -#}
{% macro ga4_tested_date_column() -%}
    {%- set attached = model.get('attached_node') if model is mapping else none -%}
    {%- if not attached or not graph or attached not in graph.nodes -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set meta = graph.nodes[attached].config.get('meta', {}) or {} -%}
    {{ return(meta.get('ga4_date_column')) }}
{%- endmacro %}


{% macro ga4_recent_days_filter(relation, date_column='event_date') -%}
    {%- set window = ga4_date_window() if var('start_date', none) is not none else none -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return('1 = 1') }}
    {%- elif window is not none -%}
        {%- set start_filter = date_column ~ " >= cast('" ~ window.start ~ "' as date)" -%}
        {%- if window.end is not none -%}
            {{ return(start_filter ~ " and " ~ date_column ~ " <= cast('" ~ window.end ~ "' as date)") }}
        {%- endif -%}
        {{ return(start_filter) }}
    {%- endif -%}
    {%- set days = var('ga4_test_window_days', 14) | int -%}
    {%- set latest = _ga4_tested_latest_date(relation, date_column) -%}
    {%- if latest is none -%}
        {{ return(date_column ~ ' >= ' ~ ga4_days_before('(select max(newest.' ~ date_column ~ ') from ' ~ relation ~ ' as newest)', days)) }}
    {%- endif -%}
    {%- set since = modules.datetime.date.fromisoformat(latest) - modules.datetime.timedelta(days=days) -%}
    {{ return(date_column ~ " >= cast('" ~ since.isoformat() ~ "' as date)") }}
{%- endmacro %}


{#- The tested table's latest day (ga4_latest_date) when the test runs, so that the
    test's filter is a literal date BigQuery prunes partitions on: a subquery
    `(select max(...))` in the filter reads the whole date column, and BigQuery
    prunes on constant filters. None while parsing, and when the table does not
    exist (`dbt compile` before a first build) or is empty: the filter then asks the
    table itself. -#}
{% macro _ga4_tested_latest_date(relation, date_column) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(database=relation.database, schema=relation.schema,
                                            identifier=relation.identifier) -%}
    {{ return(none if existing is none else ga4_latest_date(existing, date_column)) }}
{%- endmacro %}
