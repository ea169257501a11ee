{#- fct_mrr_by_plan_monthly summed over plans gives fct_mrr_monthly's mrr_end
    (within 0.01) and paying_members_end, month by month; a month with no
    paying member has no plan rows and must show 0, and a month past the
    membership as-of date (fct_mrr_monthly's figures null) must have no plan
    rows. A failing row names the month and both figures. -#}

with

by_plan as (

    select
        month_start,
        sum(mrr_end) as mrr_end,
        sum(paying_members_end) as paying_members_end
    from {{ ref('fct_mrr_by_plan_monthly') }}
    group by month_start

),

months as (

    select * from {{ ref('fct_mrr_monthly') }}

),

compared as (

    select
        months.month_start,
        by_plan.month_start is not null as has_plan_rows,
        months.mrr_end,
        coalesce(by_plan.mrr_end, 0) as plan_mrr_end,
        months.paying_members_end,
        coalesce(by_plan.paying_members_end, 0) as plan_paying_members_end
    from months
    full outer join by_plan
        on months.month_start = by_plan.month_start

)

select *
from compared
where
    month_start is null
    or (paying_members_end is null and has_plan_rows)
    or (
        paying_members_end is not null
        and not coalesce(
            abs(mrr_end - plan_mrr_end) <= 0.01
            and paying_members_end = plan_paying_members_end,
            false
        )
    )
