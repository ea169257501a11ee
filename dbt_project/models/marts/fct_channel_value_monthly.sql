{#-
    What each first-user channel group's members are worth, per month
    (docs/specification.md, "Revenue (MRR)", channel value): one row per (month
    of the spine, channel group among the members' first-user groups,
    '(not linked)' included), zeros included. Member counts follow the paying
    spells as fct_kpis_monthly does (+1 where a spell starts, -1 where it ends,
    running sums for the paying members), MRR comes from
    int_member_months_priced; summed over groups every count and amount is the
    monthly marts' (assert_channel_value_sums_to_monthly). In a month that
    starts after the membership as-of date every figure is null, as in
    fct_kpis_monthly.
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

acquired as (

    select * from {{ ref('int_members_acquired') }}

),

spells as (

    select * from {{ ref('int_paying_spells_merged') }}

),

member_months as (

    select * from {{ ref('int_member_months_priced') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

months as (

    select
        period_start as month_start,
        is_complete_period,
        {{ has_membership_data('period_start', 'membership_as_of_date') }} as has_membership_data
    from periods
    where {{ period_grain_is('month') }}

),

channel_groups as (

    select distinct first_user_channel_group as channel_group
    from acquired

),

valid_spells as (

    select
        spells.member_id,
        spells.spell_number,
        spells.spell_start_date,
        spells.spell_end_date,
        acquired.first_user_channel_group as channel_group
    from spells
    inner join members
        on spells.member_id = members.member_id
    inner join acquired
        on spells.member_id = acquired.member_id
    where members.is_valid_lifecycle

),

spell_events as (

    select
        channel_group,
        {{ month_start('spell_start_date') }} as month_start,
        case when spell_number = 1 then 1 else 0 end as new_paying_members,
        case when spell_number > 1 then 1 else 0 end as reactivated_members,
        0 as churned_members,
        0 as churned_from_start_members,
        1 as paying_delta
    from valid_spells

    union all

    select
        channel_group,
        {{ month_start('spell_end_date') }} as month_start,
        0 as new_paying_members,
        0 as reactivated_members,
        1 as churned_members,
        case
            when spell_start_date < {{ month_start('spell_end_date') }} then 1 else 0
        end as churned_from_start_members,
        -1 as paying_delta
    from valid_spells
    where spell_end_date is not null

    union all

    -- Every month of the spine for every group, so the running sums reach them.
    select
        channel_groups.channel_group,
        months.month_start,
        0 as new_paying_members,
        0 as reactivated_members,
        0 as churned_members,
        0 as churned_from_start_members,
        0 as paying_delta
    from channel_groups
    cross join months

),

event_totals as (

    select
        channel_group,
        month_start,
        sum(new_paying_members) as new_paying_members,
        sum(reactivated_members) as reactivated_members,
        sum(churned_members) as churned_members,
        sum(churned_from_start_members) as churned_from_start_members,
        sum(paying_delta) as paying_delta
    from spell_events
    group by
        channel_group,
        month_start

),

running_totals as (

    -- Months before the spine's first one are summed too, then left out below.
    select
        *,
        sum(paying_delta) over (
            partition by channel_group
            order by month_start
            rows between unbounded preceding and current row
        ) as paying_members_end
    from event_totals

),

group_mrr as (

    select
        acquired.first_user_channel_group as channel_group,
        member_months.month_start,
        sum(member_months.mrr) as mrr_end
    from member_months
    inner join acquired
        on member_months.member_id = acquired.member_id
    group by
        acquired.first_user_channel_group,
        member_months.month_start

),

group_months as (

    select
        months.month_start,
        running_totals.channel_group,
        months.is_complete_period,
        months.has_membership_data,
        {{ covered_count(
            'running_totals.new_paying_members', 'months.has_membership_data'
        ) }} as new_paying_members,
        {{ covered_count(
            'running_totals.reactivated_members', 'months.has_membership_data'
        ) }} as reactivated_members,
        {{ covered_count(
            'running_totals.churned_members', 'months.has_membership_data'
        ) }} as churned_members,
        {{ covered_count(
            'running_totals.churned_from_start_members', 'months.has_membership_data'
        ) }} as churned_from_start_members,
        {{ covered_count(
            'running_totals.paying_members_end - running_totals.paying_delta',
            'months.has_membership_data'
        ) }} as paying_members_start,
        {{ covered_count(
            'running_totals.paying_members_end', 'months.has_membership_data'
        ) }} as paying_members_end,
        {{ covered_count('group_mrr.mrr_end', 'months.has_membership_data') }} as mrr_end
    from running_totals
    inner join months
        on running_totals.month_start = months.month_start
    left join group_mrr
        on
            running_totals.channel_group = group_mrr.channel_group
            and running_totals.month_start = group_mrr.month_start

),

windowed as (

    select
        *,
        sum(mrr_end) over (
            partition by channel_group
            order by month_start
            rows between unbounded preceding and current row
        ) as cumulative_revenue,
        -- The churn the LTV estimate divides by: this month and the two before,
        -- pooled, so one quiet month does not make a group look immortal.
        sum(churned_from_start_members) over (
            partition by channel_group
            order by month_start
            rows between 2 preceding and current row
        ) as trailing_churned_members,
        sum(paying_members_start) over (
            partition by channel_group
            order by month_start
            rows between 2 preceding and current row
        ) as trailing_paying_members_start
    from group_months

),

final as (

    select
        month_start,
        channel_group,
        is_complete_period,
        cast(new_paying_members as {{ dbt.type_bigint() }}) as new_paying_members,
        cast(reactivated_members as {{ dbt.type_bigint() }}) as reactivated_members,
        cast(churned_members as {{ dbt.type_bigint() }}) as churned_members,
        cast(paying_members_start as {{ dbt.type_bigint() }}) as paying_members_start,
        cast(paying_members_end as {{ dbt.type_bigint() }}) as paying_members_end,
        cast(mrr_end as {{ type_double() }}) as mrr_end,
        {{ safe_ratio('mrr_end', 'paying_members_end') }} as arppu,
        -- The running sum would carry the last known total into months past
        -- the exports.
        cast(
            case when has_membership_data then cumulative_revenue end as {{ type_double() }}
        ) as cumulative_revenue,
        {{ safe_ratio('churned_from_start_members', 'paying_members_start') }} as logo_churn_rate,
        case
            when
                has_membership_data
                and is_complete_period
                and trailing_churned_members > 0
                and paying_members_end > 0
                then
                    cast(mrr_end as {{ type_double() }}) / paying_members_end
                    / (
                        cast(trailing_churned_members as {{ type_double() }})
                        / trailing_paying_members_start
                    )
        end as ltv_estimate
    from windowed

)

select * from final
