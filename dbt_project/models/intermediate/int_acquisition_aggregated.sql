{#-
    The member funnel by first-user channel group (models/docs/acquisition_metrics.md),
    written once for every declared grain: one row per (period_grain, period_start,
    channel_group) for every period of int_periods_spined and every channel
    group that occurs in the data (the members' acquisition groups, '(not
    linked)' included, and the new users' groups), zeros where nothing
    happened. fct_acquisition_weekly and fct_acquisition_monthly select their
    grain from here. Each count partitions its int_kpis_aggregated figure by
    channel group, so summed over the groups they give the KPI marts' signups,
    new_paying_members, new_users and converted signups.
    is_signup_to_paid_rate_mature is the KPI marts' (docs block
    metric_is_signup_to_paid_rate_mature): the same for every channel group. As
    in the KPI marts, new_users is null in a period without GA4 data and the
    member counts in one after the membership as-of date: unknown, not zero.
-#}
{%- set conversion_window_days = var('conversion_window_days') | int -%}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

members as (

    select * from {{ ref('int_members_validated') }}

),

member_acquisition as (

    select * from {{ ref('int_members_acquired') }}

),

new_user_counts as (

    -- Kept per period, so that a daily run recounts only the periods its GA4
    -- window touches.
    select
        period_grain,
        period_start,
        channel_group,
        new_users
    from {{ ref('int_ga4_new_users_aggregated') }}

),

grouped_members as (

    select
        members.member_id,
        members.signup_date,
        members.first_paid_date,
        members.is_valid_lifecycle,
        members.is_converted_within_window,
        member_acquisition.first_user_channel_group as channel_group
    from members
    inner join member_acquisition
        on members.member_id = member_acquisition.member_id

),

grains as (

    select distinct period_grain
    from periods

),

-- Each member event dated in every grain: a signup (and whether it counts as
-- converted) in its signup date's periods, a first payment in its own.
member_events as (

    select
        grains.period_grain,
        {{ period_start_by_grain('grouped_members.signup_date') }} as period_start,
        grouped_members.channel_group,
        grouped_members.member_id,
        'signup' as event_kind,
        grouped_members.is_valid_lifecycle
        and grouped_members.is_converted_within_window as is_converted
    from grouped_members
    cross join grains

    union all

    select
        grains.period_grain,
        {{ period_start_by_grain('grouped_members.first_paid_date') }} as period_start,
        grouped_members.channel_group,
        grouped_members.member_id,
        'first_payment' as event_kind,
        false as is_converted
    from grouped_members
    cross join grains
    where grouped_members.is_valid_lifecycle and grouped_members.first_paid_date is not null

),

member_counts as (

    select
        period_grain,
        period_start,
        channel_group,
        count(case when event_kind = 'signup' then member_id end) as signups,
        count(case when event_kind = 'first_payment' then member_id end) as new_paying_members,
        count(
            case when event_kind = 'signup' and is_converted then member_id end
        ) as converted_signups
    from member_events
    group by
        period_grain,
        period_start,
        channel_group

),

channel_group_occurrences as (

    select channel_group from grouped_members

    union all

    select channel_group from new_user_counts

),

channel_groups as (

    select distinct channel_group
    from channel_group_occurrences

),

grid as (

    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete_period,
        coalesce(
            cast(
                {{ dbt.dateadd('day', conversion_window_days, 'periods.period_end') | trim }}
                as date
            ) <= periods.membership_as_of_date,
            false
        ) as is_signup_to_paid_rate_mature,
        {{ has_membership_data(
            'periods.period_start', 'periods.membership_as_of_date'
        ) }} as has_membership_data,
        coalesce(
            periods.period_start <= periods.ga4_as_of_date
            and periods.period_end >= periods.ga4_first_date,
            false
        ) as has_ga4_data,
        channel_groups.channel_group
    from periods
    cross join channel_groups

),

joined as (

    select
        grid.period_grain,
        grid.period_start,
        grid.period_end,
        grid.is_complete_period,
        grid.is_signup_to_paid_rate_mature,
        grid.channel_group,
        {{ covered_count('new_user_counts.new_users', 'grid.has_ga4_data') }} as new_users,
        {{ covered_count('member_counts.signups', 'grid.has_membership_data') }} as signups,
        {{ covered_count(
            'member_counts.new_paying_members', 'grid.has_membership_data'
        ) }} as new_paying_members,
        {{ covered_count(
            'member_counts.converted_signups', 'grid.has_membership_data'
        ) }} as converted_signups
    from grid
    left join member_counts
        on
            grid.period_grain = member_counts.period_grain
            and grid.period_start = member_counts.period_start
            and grid.channel_group = member_counts.channel_group
    left join new_user_counts
        on
            grid.period_grain = new_user_counts.period_grain
            and grid.period_start = new_user_counts.period_start
            and grid.channel_group = new_user_counts.channel_group

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        channel_group,
        new_users,
        signups,
        new_paying_members,
        converted_signups,
        {{ safe_ratio('signups', 'new_users') }} as signup_rate,
        {{ safe_ratio('converted_signups', 'signups') }} as signup_to_paid_rate,
        is_signup_to_paid_rate_mature
    from joined

)

select * from final
