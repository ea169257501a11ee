{#- GA4 active and new users per reporting period: one row per (period_grain,
    period_start) of every declared grain (macros/periods/period_grains.sql) that
    has a user-day, the distinct devices active in it and new in it (docs blocks
    metric_active_users, metric_new_users). int_kpis_aggregated joins it to the
    period spine.

    A state table (ga4_state_config): a distinct count over a period cannot be
    updated from the days added, so an incremental run recounts, whole, only the
    periods holding a day the run may have rewritten (a user-day in the GA4
    window now, or first_event_date..last_event_date overlapping it before), from
    their own user-days, and keeps every older period's row: a daily run reads
    the current week and month, not the history. A recounted period left without
    user-days gets a row with no last_event_date, which the post-hook deletes.
    A table built for other grains than the declared ones is rebuilt whole. -#}
{{ config(**ga4_state_config(['period_grain', 'period_start'], 'last_event_date')) }}

{%- set window = ga4_period_state_window() %}

with

user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

grains as (

    {{ period_grain_rows() }}

),

reachable_user_days as (

    -- Only the periods holding a window day are recounted; they start no
    -- earlier than the earliest period holding the window's first day.
    select
        event_date,
        user_pseudo_id,
        is_active,
        is_new_user
    from user_days
    where {{ period_days_around_window_condition('event_date', window) }}

),

user_periods as (

    select
        grains.period_grain,
        {{ period_start_by_grain('reachable_user_days.event_date') }} as period_start,
        reachable_user_days.event_date,
        reachable_user_days.user_pseudo_id,
        reachable_user_days.is_active,
        reachable_user_days.is_new_user
    from reachable_user_days
    cross join grains

),

touched_periods as (

    {{ ga4_touched_periods('user_periods', window) }}

),

counts as (

    select
        user_periods.period_grain,
        user_periods.period_start,
        min(user_periods.event_date) as first_event_date,
        max(user_periods.event_date) as last_event_date,
        count(distinct case when user_periods.is_active then user_periods.user_pseudo_id end)
            as active_users,
        count(distinct case when user_periods.is_new_user then user_periods.user_pseudo_id end)
            as new_users
    from user_periods
    inner join touched_periods
        on
            user_periods.period_grain = touched_periods.period_grain
            and user_periods.period_start = touched_periods.period_start
    group by
        user_periods.period_grain,
        user_periods.period_start

),

final as (

    select
        touched_periods.period_grain,
        touched_periods.period_start,
        counts.first_event_date,
        counts.last_event_date,
        cast(counts.active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(counts.new_users as {{ dbt.type_bigint() }}) as new_users
    from touched_periods
    left join counts
        on
            touched_periods.period_grain = counts.period_grain
            and touched_periods.period_start = counts.period_start

)

select * from final
