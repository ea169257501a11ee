{#- GA4 active users per day with GA4's rolling windows: every day from the
    first to the last GA4 event date, zeros included (docs/specification.md,
    "GA4 export").

    The distinct-user windows are counted from coverage intervals rather than a
    range join (which joins every day to 28 days of user-days): an active
    user-day d covers [d, d + 6] for wau_7d and [d, d + 27] for mau_28d, cut
    short at the user's next active day, which starts a coverage of its own. The
    pieces of one user never overlap, so a running sum of +1 at each start and
    -1 after each end counts every user at most once per day.

    Incremental (ga4_rollup_config): a day's windows hold the 27 days before it,
    so a run rewrites the days from its GA4 window's start on (and on a backfill
    the 27 days after the range as well), reading the user-days and export days
    from 27 days before that start. A coverage that began earlier has ended by
    then, so the running sums from there give every rewritten day's full count.

    Each window is flagged when it holds a day whose GA4 export is missing or
    partial (fct_ga4__export_days): a row per calendar day there, so a window of
    n days is the current row and the n - 1 before it.

    The warm-up flags mark the days whose window still reaches back before the
    first GA4 day (docs blocks metric_is_wau_warm_up, metric_is_mau_warm_up). -#}
{{ config(**ga4_rollup_config()) }}

{#- The days this run rewrites, and the days their windows read. -#}
{%- set window = ga4_date_window() %}
{%- set reach = modules.datetime.timedelta(days=27) %}
{%- set read_window = {'start': none, 'end': none} %}
{%- if window.start is not none %}
    {%- do read_window.update({
        'start': (modules.datetime.date.fromisoformat(window.start) - reach).isoformat()
    }) %}
{%- endif %}
{%- if window.end is not none %}
    {%- do read_window.update({
        'end': (modules.datetime.date.fromisoformat(window.end) + reach).isoformat()
    }) %}
{%- endif %}
{%- set rewritten_days = {'start': window.start, 'end': read_window.end} %}

with

user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

export_days as (

    select * from {{ ref('fct_ga4__export_days') }}

),

known_days as (

    -- The days the first and last GA4 day are taken from: on an incremental run
    -- the mart's own days and the user-days the run reads, not every user-day.
    -- The user-day table is read here apart from the import CTE: DuckDB
    -- materialises a CTE read twice, all of its rows, before either filter.
    select event_date
    from {{ ref('int_ga4_user_days_aggregated') }}
    where {{ ga4_date_window_condition('event_date', read_window) }}
    {%- if is_incremental() %}

    union all

    select event_date
    from {{ this }}
    {%- endif %}

),

bounds as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from known_days

),

read_bounds as (

    select
        first_date,
        {% if read_window.start is not none -%}
        greatest(first_date, cast('{{ read_window.start }}' as date))
        {%- else -%} first_date {%- endif %} as read_start,
        {% if read_window.end is not none -%}
        least(last_date, cast('{{ read_window.end }}' as date))
        {%- else -%} last_date {%- endif %} as read_end
    from bounds

),

calendar as (

    {{ date_series('read_start', 'read_end', 'read_bounds') }}

),

active_user_days as (

    select
        event_date,
        user_pseudo_id
    from user_days
    where
        is_active
        and {{ ga4_date_window_condition('event_date', read_window) }}

),

spans as (

    select
        event_date,
        lead(event_date) over (
            partition by user_pseudo_id
            order by event_date
        ) as next_active_date
    from active_user_days

),

coverage_edges as (

    select
        event_date as edge_date,
        1 as coverage_starts,
        1 as wau_change,
        1 as mau_change
    from spans

    union all

    select
        least(
            {{ ga4_days_after('event_date', 7) }},
            coalesce(next_active_date, {{ ga4_days_after('event_date', 7) }})
        ) as edge_date,
        0 as coverage_starts,
        -1 as wau_change,
        0 as mau_change
    from spans

    union all

    select
        least(
            {{ ga4_days_after('event_date', 28) }},
            coalesce(next_active_date, {{ ga4_days_after('event_date', 28) }})
        ) as edge_date,
        0 as coverage_starts,
        0 as wau_change,
        -1 as mau_change
    from spans

),

daily_changes as (

    select
        edge_date,
        sum(coverage_starts) as coverage_starts,
        sum(wau_change) as wau_change,
        sum(mau_change) as mau_change
    from coverage_edges
    group by edge_date

),

rolling as (

    select
        calendar.date_day as event_date,
        coalesce(daily_changes.coverage_starts, 0) as dau,
        sum(coalesce(daily_changes.wau_change, 0)) over (
            order by calendar.date_day
            rows between unbounded preceding and current row
        ) as wau_7d,
        sum(coalesce(daily_changes.mau_change, 0)) over (
            order by calendar.date_day
            rows between unbounded preceding and current row
        ) as mau_28d
    from calendar
    left join daily_changes
        on calendar.date_day = daily_changes.edge_date

),

export_windows as (

    select
        export_date,
        is_incomplete_day as is_dau_export_incomplete,
        max(case when is_incomplete_day then 1 else 0 end) over (
            order by export_date
            rows between 6 preceding and current row
        ) = 1 as is_wau_7d_export_incomplete,
        max(case when is_incomplete_day then 1 else 0 end) over (
            order by export_date
            rows between 27 preceding and current row
        ) = 1 as is_mau_28d_export_incomplete
    from export_days
    where {{ ga4_date_window_condition('export_date', read_window) }}

),

warm_up as (

    -- Days since the first GA4 day: a window of n days has warmed up on day n - 1.
    select
        rolling.event_date,
        rolling.dau,
        rolling.wau_7d,
        rolling.mau_28d,
        {{ dbt.datediff(
            'bounds.first_date', 'rolling.event_date', 'day'
        ) | trim }} as days_of_history
    from rolling
    cross join bounds

),

final as (

    select
        warm_up.event_date,
        cast(warm_up.dau as {{ dbt.type_bigint() }}) as dau,
        cast(warm_up.wau_7d as {{ dbt.type_bigint() }}) as wau_7d,
        cast(warm_up.mau_28d as {{ dbt.type_bigint() }}) as mau_28d,
        {{ safe_ratio('warm_up.dau', 'warm_up.mau_28d') }} as stickiness,
        warm_up.days_of_history < 6 as is_wau_warm_up,
        warm_up.days_of_history < 27 as is_mau_warm_up,
        coalesce(export_windows.is_dau_export_incomplete, false) as is_dau_export_incomplete,
        coalesce(export_windows.is_wau_7d_export_incomplete, false) as is_wau_7d_export_incomplete,
        coalesce(export_windows.is_mau_28d_export_incomplete, false) as is_mau_28d_export_incomplete
    from warm_up
    left join export_windows
        on warm_up.event_date = export_windows.export_date
    where {{ ga4_date_window_condition('warm_up.event_date', rewritten_days) }}

)

select * from final
