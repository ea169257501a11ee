{#- GA4 active and new users per reporting period: one row per (period_grain,
    period_start) of every declared grain (macros/periods/period_grains.sql) that
    has a user-day, the distinct devices active in it and new in it (docs blocks
    metric_active_users, metric_new_users). int_kpis_aggregated joins it to the
    period spine.

    A state table (ga4_state_config; macros/ga4/ga4_period_state.sql): a
    distinct count over a period cannot be updated from the days added, so an
    incremental run reads the days of the periods holding a day of its GA4
    window, recounts those periods whole, and keeps every older period's row: a
    daily run reads the current month (and week), not the history. A recounted
    period left without user-days gets a row with no last_event_date, which the
    post-hook deletes. A table built for other grains than the declared ones is
    recounted whole. -#}
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

    -- The days of the periods this run recounts (all of them on a full build).
    select
        event_date,
        user_pseudo_id,
        is_active,
        is_new_user
    from user_days
    where {{ period_window_days_condition('event_date', window) }}

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

counts as (

    -- Every period lying whole within the days read, counted from all its days.
    select
        period_grain,
        period_start,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        count(distinct case when is_active then user_pseudo_id end) as active_users,
        count(distinct case when is_new_user then user_pseudo_id end) as new_users
    from user_periods
    where {{ period_within_window_condition('period_grain', 'period_start', window) }}
    group by
        period_grain,
        period_start

),

recounted_keys as (

    {{ ga4_period_state_keys(['period_grain', 'period_start'], 'counts', window) }}

),

final as (

    select
        recounted_keys.period_grain,
        recounted_keys.period_start,
        counts.first_event_date,
        counts.last_event_date,
        cast(counts.active_users as {{ dbt.type_bigint() }}) as active_users,
        cast(counts.new_users as {{ dbt.type_bigint() }}) as new_users
    from recounted_keys
    left join counts
        on
            recounted_keys.period_grain = counts.period_grain
            and recounted_keys.period_start = counts.period_start

)

select * from final
