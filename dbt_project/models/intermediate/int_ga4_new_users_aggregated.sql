{#- GA4 new users per reporting period and first-user channel group: one row
    per (period_grain, period_start, channel_group) of every declared grain with
    a new user, the distinct devices new in the period whose first touch
    (int_ga4_users_acquired) falls in the group (docs block metric_new_users).
    int_acquisition_aggregated joins it to its grid.

    A state table like int_ga4_periods_aggregated (macros/ga4/ga4_period_state.sql):
    an incremental run recounts, whole, the periods holding a day the GA4
    window may have rewritten, and keeps every older period's rows. A device's
    channel group changes only when the window holds its first day (the old
    one or the new one), and its new-user days are never earlier than that
    day, so they all lie on or after the window's start: on a backfill of a
    past range the recount runs from the range's start to the newest period,
    not to the range's end. A (period, group) the recount no longer finds gets
    a row with no last_event_date, which the post-hook deletes. -#}
{{ config(**ga4_state_config(
    ['period_grain', 'period_start', 'channel_group'], 'last_event_date'
)) }}

{#- Open-ended: a backfill may move a device's first touch, and so the group
    of its later new-user days. -#}
{%- set window = ga4_period_state_window() %}
{%- set window = {'start': window.start, 'end': none} %}

with

user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

devices as (

    select * from {{ ref('int_ga4_users_acquired') }}

),

grains as (

    {{ period_grain_rows() }}

),

reachable_new_user_days as (

    -- The new-user days of the periods this run recounts (all on a full build).
    select
        event_date,
        user_pseudo_id
    from user_days
    where
        is_new_user
        and {{ period_window_days_condition('event_date', window) }}

),

user_periods as (

    select
        grains.period_grain,
        {{ period_start_by_grain('reachable_new_user_days.event_date') }} as period_start,
        reachable_new_user_days.event_date,
        reachable_new_user_days.user_pseudo_id
    from reachable_new_user_days
    cross join grains

),

counts as (

    -- Every period lying whole within the days read, counted from all its days.
    select
        user_periods.period_grain,
        user_periods.period_start,
        devices.first_user_channel_group as channel_group,
        min(user_periods.event_date) as first_event_date,
        max(user_periods.event_date) as last_event_date,
        count(distinct user_periods.user_pseudo_id) as new_users
    from user_periods
    inner join devices
        on user_periods.user_pseudo_id = devices.user_pseudo_id
    where {{ period_within_window_condition(
        'user_periods.period_grain', 'user_periods.period_start', window
    ) }}
    group by
        user_periods.period_grain,
        user_periods.period_start,
        devices.first_user_channel_group

),

recounted_keys as (

    {{ ga4_period_state_keys(['period_grain', 'period_start', 'channel_group'], 'counts', window) }}

),

final as (

    select
        recounted_keys.period_grain,
        recounted_keys.period_start,
        recounted_keys.channel_group,
        counts.first_event_date,
        counts.last_event_date,
        cast(counts.new_users as {{ dbt.type_bigint() }}) as new_users
    from recounted_keys
    left join counts
        on
            recounted_keys.period_grain = counts.period_grain
            and recounted_keys.period_start = counts.period_start
            and recounted_keys.channel_group = counts.channel_group

)

select * from final
