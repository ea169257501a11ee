{#-
    MRR, its movements and its ratios per month (docs/specification.md,
    "Revenue (MRR)"; docs blocks in models/docs/revenue_metrics.md), which
    fct_mrr_monthly selects: the months of int_periods_spined, the member-level movements of int_mrr_movements_classified
    summed, and the paying members of int_member_months_priced (every valid
    payer paying at the month's last day, whatever their MRR), from which
    assert_mrr_paying_members_match_kpis checks the KPI mart's count. In a
    month that starts after the membership as-of date every figure is null,
    as the KPI marts' membership figures are (covered_count).
-#}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

movements as (

    select * from {{ ref('int_mrr_movements_classified') }}

),

member_months as (

    select * from {{ ref('int_member_months_priced') }}

),

months as (

    select
        period_start as month_start,
        is_complete_period,
        {{ has_membership_data('period_start', 'membership_as_of_date') }} as has_membership_data
    from periods
    where {{ period_grain_is('month') }}

),

movement_sums as (

    select
        month_start,
        sum(previous_mrr) as mrr_start,
        sum(case when movement = 'new' then mrr else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then mrr - previous_mrr else 0 end) as expansion_mrr,
        sum(case when movement = 'reactivation' then mrr else 0 end) as reactivation_mrr,
        sum(
            case when movement = 'contraction' then previous_mrr - mrr else 0 end
        ) as contraction_mrr,
        sum(case when movement = 'churned' then previous_mrr else 0 end) as churned_mrr
    from movements
    group by month_start

),

month_ends as (

    select
        month_start,
        sum(mrr) as mrr_end,
        count(member_id) as paying_members_end
    from member_months
    group by month_start

),

joined as (

    select
        months.month_start,
        months.is_complete_period,
        {{ covered_count('movement_sums.mrr_start', 'months.has_membership_data') }} as mrr_start,
        {{ covered_count('movement_sums.new_mrr', 'months.has_membership_data') }} as new_mrr,
        {{ covered_count(
            'movement_sums.expansion_mrr', 'months.has_membership_data'
        ) }} as expansion_mrr,
        {{ covered_count(
            'movement_sums.reactivation_mrr', 'months.has_membership_data'
        ) }} as reactivation_mrr,
        {{ covered_count(
            'movement_sums.contraction_mrr', 'months.has_membership_data'
        ) }} as contraction_mrr,
        {{ covered_count(
            'movement_sums.churned_mrr', 'months.has_membership_data'
        ) }} as churned_mrr,
        {{ covered_count('month_ends.mrr_end', 'months.has_membership_data') }} as mrr_end,
        {{ covered_count(
            'month_ends.paying_members_end', 'months.has_membership_data'
        ) }} as paying_members_end
    from months
    left join movement_sums
        on months.month_start = movement_sums.month_start
    left join month_ends
        on months.month_start = month_ends.month_start

),

final as (

    select
        month_start,
        is_complete_period,
        cast(mrr_start as {{ type_double() }}) as mrr_start,
        cast(new_mrr as {{ type_double() }}) as new_mrr,
        cast(expansion_mrr as {{ type_double() }}) as expansion_mrr,
        cast(reactivation_mrr as {{ type_double() }}) as reactivation_mrr,
        cast(contraction_mrr as {{ type_double() }}) as contraction_mrr,
        cast(churned_mrr as {{ type_double() }}) as churned_mrr,
        cast(mrr_end as {{ type_double() }}) as mrr_end,
        cast(paying_members_end as {{ dbt.type_bigint() }}) as paying_members_end,
        {{ safe_ratio('mrr_end', 'paying_members_end') }} as arppu,
        {{ safe_ratio('churned_mrr + contraction_mrr', 'mrr_start') }} as gross_mrr_churn_rate,
        {{ safe_ratio(
            'mrr_start + expansion_mrr - contraction_mrr - churned_mrr', 'mrr_start'
        ) }} as net_mrr_retention,
        {{ safe_ratio(
            'new_mrr + expansion_mrr + reactivation_mrr', 'churned_mrr + contraction_mrr'
        ) }} as quick_ratio
    from joined

)

select * from final
