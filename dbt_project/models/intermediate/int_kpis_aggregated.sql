{#-
    The KPI logic of the metric docs blocks (models/docs/membership_metrics.md,
    ga4_metrics.md), written once for every grain: one row per (period_grain,
    period_start) of int_periods_spined. fct_kpis_weekly and fct_kpis_monthly
    select their grain from here. Counts are zero, not null, for a period where
    nothing happened; rates are null when their denominator is zero.
-#}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

members as (

    select * from {{ ref('int_members_validated') }}

),

ga4_user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

member_periods as (

    -- Every member against every period: each metric is a condition on the
    -- member's dates and the period bounds, as its docs block states it.
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        members.member_id,
        members.signup_date,
        members.first_paid_date,
        members.canceled_date,
        members.is_valid_lifecycle,
        members.is_converted_within_window
    from periods
    cross join members

),

member_counts as (

    select
        period_grain,
        period_start,
        count(
            case when signup_date between period_start and period_end then member_id end
        ) as signups,
        count(
            case
                when is_valid_lifecycle
                    and first_paid_date between period_start and period_end
                    then member_id
            end
        ) as new_paying_members,
        count(
            case
                when is_valid_lifecycle
                    and first_paid_date < period_start
                    and (canceled_date is null or canceled_date >= period_start)
                    then member_id
            end
        ) as paying_members_start,
        count(
            case
                when is_valid_lifecycle
                    and first_paid_date <= period_end
                    and (canceled_date is null or canceled_date > period_end)
                    then member_id
            end
        ) as paying_members_end,
        count(
            case
                when is_valid_lifecycle
                    and first_paid_date is not null
                    and canceled_date between period_start and period_end
                    then member_id
            end
        ) as churned_members,
        -- churn_rate's numerator: members paying at the start who cancel in the period.
        count(
            case
                when is_valid_lifecycle
                    and first_paid_date < period_start
                    and canceled_date between period_start and period_end
                    then member_id
            end
        ) as churned_from_start_members,
        -- signup_to_paid_rate's numerator: this period's signups with a valid
        -- lifecycle that paid within conversion_window_days of signing up. Its
        -- denominator, signups, counts invalid lifecycles too.
        count(
            case
                when signup_date between period_start and period_end
                    and is_valid_lifecycle
                    and is_converted_within_window
                    then member_id
            end
        ) as converted_signups
    from member_periods
    group by
        period_grain,
        period_start

),

ga4_user_periods as (

    select
        'week' as period_grain,
        {{ week_start('event_date') }} as period_start,
        user_pseudo_id,
        is_active,
        is_new_user
    from ga4_user_days

    union all

    select
        'month' as period_grain,
        {{ month_start('event_date') }} as period_start,
        user_pseudo_id,
        is_active,
        is_new_user
    from ga4_user_days

),

ga4_counts as (

    select
        period_grain,
        period_start,
        count(distinct case when is_active then user_pseudo_id end) as active_users,
        count(distinct case when is_new_user then user_pseudo_id end) as new_users
    from ga4_user_periods
    group by
        period_grain,
        period_start

),

joined as (

    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete_period,
        coalesce(member_counts.signups, 0) as signups,
        coalesce(member_counts.new_paying_members, 0) as new_paying_members,
        coalesce(member_counts.paying_members_start, 0) as paying_members_start,
        coalesce(member_counts.paying_members_end, 0) as paying_members_end,
        coalesce(member_counts.churned_members, 0) as churned_members,
        coalesce(member_counts.churned_from_start_members, 0) as churned_from_start_members,
        coalesce(member_counts.converted_signups, 0) as converted_signups,
        coalesce(ga4_counts.active_users, 0) as active_users,
        coalesce(ga4_counts.new_users, 0) as new_users
    from periods
    left join member_counts
        on
            periods.period_grain = member_counts.period_grain
            and periods.period_start = member_counts.period_start
    left join ga4_counts
        on
            periods.period_grain = ga4_counts.period_grain
            and periods.period_start = ga4_counts.period_start

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        signups,
        new_paying_members,
        paying_members_start,
        paying_members_end,
        churned_members,
        churned_from_start_members,
        converted_signups,
        active_users,
        new_users,
        {{ safe_ratio('churned_from_start_members', 'paying_members_start') }} as churn_rate,
        {{ safe_ratio('signups', 'active_users') }} as signup_conversion_rate,
        {{ safe_ratio('converted_signups', 'signups') }} as signup_to_paid_rate
    from joined

)

select * from final
