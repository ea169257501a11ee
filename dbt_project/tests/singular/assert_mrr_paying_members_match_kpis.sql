{#- fct_mrr_monthly counts paying members from the revenue models' member-months,
    fct_kpis_monthly from the KPI logic: both must give the same number for
    every month, and have the same months. -#}

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
        revenue.paying_members_end as revenue_paying_members_end,
        kpis.paying_members_end as kpi_paying_members_end
    from revenue
    full outer join kpis
        on revenue.month_start = kpis.month_start

)

select *
from compared
where
    revenue_paying_members_end is null
    or kpi_paying_members_end is null
    or revenue_paying_members_end != kpi_paying_members_end
