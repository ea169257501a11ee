{#-
    The KPI logic of the metric docs blocks (models/docs/membership_metrics.md,
    ga4_metrics.md), written once for every declared grain: one row per (period_grain,
    period_start) of int_periods_spined. fct_kpis_weekly and fct_kpis_monthly
    select their grain from here. Counts are zero, not null, for a period where
    nothing happened; rates are null when their denominator is zero. The GA4
    counts are null when GA4 is not configured (macros/ga4/ga4_configured.sql).
    A source's figures are null, not zero, in a period it has no data for yet
    (docs block metric_is_membership_partial, metric_is_ga4_partial), and
    signup_to_paid_rate carries its maturity (metric_is_signup_to_paid_rate_mature).
-#}
{%- set conversion_window_days = var('conversion_window_days') | int -%}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

members as (

    select * from {{ ref('int_members_validated') }}

),

spells as (

    select * from {{ ref('int_paying_spells_merged') }}

),

ga4_periods as (

    -- Distinct devices per period, kept per period so that a daily run recounts
    -- only the periods its GA4 window touches.
    select * from {{ ga4_ref('int_ga4_periods_aggregated', {
        'period_grain': dbt.type_string(),
        'period_start': 'date',
        'active_users': dbt.type_bigint(),
        'new_users': dbt.type_bigint(),
    }) }}

),

grains as (

    select distinct period_grain
    from periods

),

member_dates as (

    -- Each member's dates with the period of each grain that holds them, so that
    -- every count below grows with members + periods, never members x periods.
    select
        grains.period_grain,
        members.member_id,
        members.signup_date,
        members.is_valid_lifecycle,
        members.is_converted_within_window,
        {{ period_start_by_grain('members.signup_date') }} as signup_period_start
    from members
    cross join grains

),

spell_dates as (

    -- The paying spells of valid members, each with the periods holding its
    -- start and its end.
    select
        grains.period_grain,
        spells.member_id,
        spells.spell_number,
        spells.spell_start_date,
        spells.spell_end_date,
        {{ period_start_by_grain('spells.spell_start_date') }} as start_period_start,
        {{ period_start_by_grain('spells.spell_end_date') }} as end_period_start
    from spells
    inner join members
        on spells.member_id = members.member_id
    cross join grains
    where members.is_valid_lifecycle

),

dated_counts as (

    -- A count in the period holding the member's own date: signups and
    -- converted_signups by signup date, new_paying_members by the first
    -- spell's start, reactivated_members by a later spell's start,
    -- churned_members and churned_from_start_members by a spell's end.
    select
        period_grain,
        signup_period_start as period_start,
        1 as signups,
        case
            when is_valid_lifecycle and is_converted_within_window then 1 else 0
        end as converted_signups,
        0 as new_paying_members,
        0 as reactivated_members,
        0 as churned_members,
        0 as churned_from_start_members,
        0 as paying_delta
    from member_dates
    where signup_date is not null

    union all

    -- Paying at the end of a period: inside a spell at its last day, so +1 in
    -- the period where a spell starts and -1 in the one where it ends.
    select
        period_grain,
        start_period_start as period_start,
        0 as signups,
        0 as converted_signups,
        case when spell_number = 1 then 1 else 0 end as new_paying_members,
        case when spell_number > 1 then 1 else 0 end as reactivated_members,
        0 as churned_members,
        0 as churned_from_start_members,
        1 as paying_delta
    from spell_dates

    union all

    select
        period_grain,
        end_period_start as period_start,
        0 as signups,
        0 as converted_signups,
        0 as new_paying_members,
        0 as reactivated_members,
        1 as churned_members,
        case
            when spell_start_date < end_period_start then 1 else 0
        end as churned_from_start_members,
        -1 as paying_delta
    from spell_dates
    where spell_end_date is not null

    union all

    -- Every period of the spine, so that running sums reach periods without
    -- any member date.
    select
        period_grain,
        period_start,
        0 as signups,
        0 as converted_signups,
        0 as new_paying_members,
        0 as reactivated_members,
        0 as churned_members,
        0 as churned_from_start_members,
        0 as paying_delta
    from periods

),

period_totals as (

    select
        period_grain,
        period_start,
        cast(sum(signups) as {{ dbt.type_bigint() }}) as signups,
        cast(sum(converted_signups) as {{ dbt.type_bigint() }}) as converted_signups,
        cast(sum(new_paying_members) as {{ dbt.type_bigint() }}) as new_paying_members,
        cast(sum(reactivated_members) as {{ dbt.type_bigint() }}) as reactivated_members,
        cast(sum(churned_members) as {{ dbt.type_bigint() }}) as churned_members,
        cast(sum(churned_from_start_members) as {{ dbt.type_bigint() }})
            as churned_from_start_members,
        cast(sum(paying_delta) as {{ dbt.type_bigint() }}) as paying_delta
    from dated_counts
    group by
        period_grain,
        period_start

),

running_totals as (

    -- paying_members_end: the deltas of every period up to this one (dates
    -- before the spine's first period included).
    select
        period_grain,
        period_start,
        signups,
        new_paying_members,
        reactivated_members,
        churned_members,
        churned_from_start_members,
        converted_signups,
        paying_delta,
        -- Sums are cast back to bigint: DuckDB widens a sum of integers to hugeint.
        cast(sum(paying_delta) over (
            partition by period_grain
            order by period_start
            rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as paying_members_end
    from period_totals

),

member_counts as (

    -- paying_members_start: first paid before the period starts and not
    -- canceled before it starts, i.e. the running sum without this period's
    -- own deltas.
    select
        period_grain,
        period_start,
        signups,
        new_paying_members,
        reactivated_members,
        paying_members_end - paying_delta as paying_members_start,
        paying_members_end,
        churned_members,
        churned_from_start_members,
        converted_signups
    from running_totals

),

source_coverage as (

    -- Whether each source has data for the period. Membership exports are
    -- full snapshots, so before the first signup there were truly no members;
    -- GA4 knows nothing before its first daily table or after its latest.
    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        membership_as_of_date,
        ga4_as_of_date,
        {{ has_membership_data('period_start', 'membership_as_of_date') }} as has_membership_data,
        coalesce(
            period_start <= ga4_as_of_date and period_end >= ga4_first_date, false
        ) as has_ga4_data,
        not coalesce(
            period_start >= membership_first_date and period_end <= membership_as_of_date, false
        ) as is_membership_partial,
        not coalesce(
            period_start >= ga4_first_date and period_end <= ga4_as_of_date, false
        ) as is_ga4_partial,
        coalesce(
            cast({{ dbt.dateadd('day', conversion_window_days, 'period_end') | trim }} as date)
            <= membership_as_of_date,
            false
        ) as is_signup_to_paid_rate_mature
    from periods

),

joined as (

    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete_period,
        periods.membership_as_of_date,
        periods.ga4_as_of_date,
        periods.is_membership_partial,
        case when {{ ga4_configured() }} then periods.is_ga4_partial end as is_ga4_partial,
        periods.is_signup_to_paid_rate_mature,
        {{ covered_count('member_counts.signups', 'periods.has_membership_data') }} as signups,
        {{ covered_count(
            'member_counts.new_paying_members', 'periods.has_membership_data'
        ) }} as new_paying_members,
        {{ covered_count(
            'member_counts.reactivated_members', 'periods.has_membership_data'
        ) }} as reactivated_members,
        {{ covered_count(
            'member_counts.paying_members_start', 'periods.has_membership_data'
        ) }} as paying_members_start,
        {{ covered_count(
            'member_counts.paying_members_end', 'periods.has_membership_data'
        ) }} as paying_members_end,
        {{ covered_count(
            'member_counts.churned_members', 'periods.has_membership_data'
        ) }} as churned_members,
        {{ covered_count(
            'member_counts.churned_from_start_members', 'periods.has_membership_data'
        ) }} as churned_from_start_members,
        {{ covered_count(
            'member_counts.converted_signups', 'periods.has_membership_data'
        ) }} as converted_signups,
        {{ covered_count(
            'ga4_periods.active_users', ga4_configured() ~ ' and periods.has_ga4_data'
        ) }} as active_users,
        {{ covered_count(
            'ga4_periods.new_users', ga4_configured() ~ ' and periods.has_ga4_data'
        ) }} as new_users
    from source_coverage as periods
    left join member_counts
        on
            periods.period_grain = member_counts.period_grain
            and periods.period_start = member_counts.period_start
    left join ga4_periods
        on
            periods.period_grain = ga4_periods.period_grain
            and periods.period_start = ga4_periods.period_start

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        membership_as_of_date,
        ga4_as_of_date,
        is_membership_partial,
        is_ga4_partial,
        signups,
        new_paying_members,
        reactivated_members,
        paying_members_start,
        paying_members_end,
        churned_members,
        churned_from_start_members,
        converted_signups,
        active_users,
        new_users,
        {{ safe_ratio('churned_from_start_members', 'paying_members_start') }} as churn_rate,
        {{ safe_ratio('signups', 'active_users') }} as signup_conversion_rate,
        {{ safe_ratio('converted_signups', 'signups') }} as signup_to_paid_rate,
        is_signup_to_paid_rate_mature
    from joined

)

select * from final
