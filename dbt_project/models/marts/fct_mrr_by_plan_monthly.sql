{#-
    MRR at each month's end split by plan (docs/specification.md, "Revenue
    (MRR)"): one row per (month, plan) with a paying member at the month's last
    day, from int_member_months_priced. Summed over plans it gives
    fct_mrr_monthly's mrr_end and paying_members_end
    (assert_mrr_by_plan_sums_to_monthly), so a paying member whose state shows
    no paid plan is a row too: plan free, or '(none)' when the export left it
    empty.
-#}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

member_months as (

    select * from {{ ref('int_member_months_priced') }}

),

months as (

    select
        period_start as month_start,
        is_complete_period
    from periods
    where {{ period_grain_is('month') }}

),

plan_months as (

    select
        month_start,
        coalesce(plan, '(none)') as plan,
        sum(mrr) as mrr_end,
        count(member_id) as paying_members_end
    from member_months
    group by
        month_start,
        coalesce(plan, '(none)')

),

final as (

    select
        plan_months.month_start,
        plan_months.plan,
        months.is_complete_period,
        cast(plan_months.paying_members_end as {{ dbt.type_bigint() }}) as paying_members_end,
        cast(plan_months.mrr_end as {{ type_double() }}) as mrr_end,
        {{ safe_ratio('plan_months.mrr_end', 'plan_months.paying_members_end') }} as arppu
    from plan_months
    inner join months
        on plan_months.month_start = months.month_start

)

select * from final
