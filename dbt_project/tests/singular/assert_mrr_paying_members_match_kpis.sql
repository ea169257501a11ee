{#- fct_mrr_monthly counts paying members from the revenue models' member-months,
    fct_kpis_monthly from the KPI logic: both must have the same months and give
    the same number for every month, or both null (unknown) in a month past the
    membership as-of date. -#}

with

revenue as (

    select * from {{ ref('fct_mrr_monthly') }}

),

kpis as (

    select * from {{ ref('fct_kpis_monthly') }}

),

compared as (

    select
        coalesce(revenue.month_start, kpis.month_start) as month_start,
        revenue.month_start is not null as is_in_revenue,
        kpis.month_start is not null as is_in_kpis,
        revenue.paying_members_end as revenue_paying_members_end,
        kpis.paying_members_end as kpi_paying_members_end
    from revenue
    full outer join kpis
        on revenue.month_start = kpis.month_start

)

select *
from compared
where
    not is_in_revenue
    or not is_in_kpis
    or (revenue_paying_members_end is null) != (kpi_paying_members_end is null)
    or revenue_paying_members_end != kpi_paying_members_end
