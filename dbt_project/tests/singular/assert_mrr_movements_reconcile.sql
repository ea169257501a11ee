{#- fct_member_mrr_monthly summed per month and movement gives fct_mrr_monthly's
    figures (within 0.01): mrr_start, each movement and mrr_end. A failing row
    names the month and the figure. -#}

with

member_months as (

    select * from {{ ref('fct_member_mrr_monthly') }}

),

months as (

    select * from {{ ref('fct_mrr_monthly') }}

),

sums as (

    select
        month_start,
        sum(previous_mrr) as mrr_start,
        sum(case when movement = 'new' then mrr else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then mrr - previous_mrr else 0 end) as expansion_mrr,
        sum(case when movement = 'reactivation' then mrr else 0 end) as reactivation_mrr,
        sum(case when movement = 'contraction' then previous_mrr - mrr else 0 end) as contraction_mrr,
        sum(case when movement = 'churned' then previous_mrr else 0 end) as churned_mrr,
        sum(mrr) as mrr_end
    from member_months
    group by month_start

),

compared as (

    select
        months.month_start,
        months.mrr_start,
        coalesce(sums.mrr_start, 0) as member_mrr_start,
        months.new_mrr,
        coalesce(sums.new_mrr, 0) as member_new_mrr,
        months.expansion_mrr,
        coalesce(sums.expansion_mrr, 0) as member_expansion_mrr,
        months.reactivation_mrr,
        coalesce(sums.reactivation_mrr, 0) as member_reactivation_mrr,
        months.contraction_mrr,
        coalesce(sums.contraction_mrr, 0) as member_contraction_mrr,
        months.churned_mrr,
        coalesce(sums.churned_mrr, 0) as member_churned_mrr,
        months.mrr_end,
        coalesce(sums.mrr_end, 0) as member_mrr_end
    from months
    left join sums
        on months.month_start = sums.month_start

)

select *
from compared
where
    abs(mrr_start - member_mrr_start) > 0.01
    or abs(new_mrr - member_new_mrr) > 0.01
    or abs(expansion_mrr - member_expansion_mrr) > 0.01
    or abs(reactivation_mrr - member_reactivation_mrr) > 0.01
    or abs(contraction_mrr - member_contraction_mrr) > 0.01
    or abs(churned_mrr - member_churned_mrr) > 0.01
    or abs(mrr_end - member_mrr_end) > 0.01
