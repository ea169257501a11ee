{#-
    dbt's `where` config of a data test, plus one placeholder for the big
    incremental GA4 tables: `where: "__ga4_recent_days__"` tests
    - every row on a full refresh (the whole table was just written);
    - the backfill range on a run with vars start_date / end_date;
    - otherwise the last ga4_test_window_days days before the newest event_date,
      which covers the days an incremental run rewrites (ga4_lookback_days before
      the previous newest day, and the days added since) with room for a few missed
      daily runs. Older days were tested by the run that wrote them, and an
      incremental run replaces whole days, so a test over the history would only
      rescan them.
    Any other `where` behaves exactly as dbt's own.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__ga4_recent_days__' in where -%}
        {%- set where = where | replace('__ga4_recent_days__', ga4_recent_days_filter(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{% macro ga4_recent_days_filter(relation) -%}
    {%- set window = ga4_date_window() if var('start_date', none) is not none else none -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return('1 = 1') }}
    {%- elif window is not none -%}
        {%- set start_filter = "event_date >= cast('" ~ window.start ~ "' as date)" -%}
        {%- if window.end is not none -%}
            {{ return(start_filter ~ " and event_date <= cast('" ~ window.end ~ "' as date)") }}
        {%- endif -%}
        {{ return(start_filter) }}
    {%- endif -%}
    {%- set days = var('ga4_test_window_days', 14) | int -%}
    {{ return('event_date >= ' ~ ga4_days_before('(select max(newest.event_date) from ' ~ relation ~ ' as newest)', days)) }}
{%- endmacro %}
