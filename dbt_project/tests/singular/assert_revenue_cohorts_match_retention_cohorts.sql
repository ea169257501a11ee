{#- The revenue cohorts and the retention cohorts count the same members: a
    cell's cohort_members and retained_members equal fct_retention_cohorts_monthly's
    cohort_size and retained_members, for every cell of the revenue mart (whose
    cohorts are those of the spine's months). -#}

with

revenue as (

    select * from {{ ref('fct_revenue_cohorts_monthly') }}

),

retention as (

    select * from {{ ref('fct_retention_cohorts_monthly') }}

)

select
    revenue.cohort_month,
    revenue.months_since_first_payment,
    revenue.cohort_members,
    retention.cohort_size,
    revenue.retained_members,
    retention.retained_members as retention_retained_members
from revenue
left join retention
    on
        revenue.cohort_month = retention.cohort_month
        and revenue.months_since_first_payment = retention.months_since_first_payment
where
    retention.cohort_month is null
    or revenue.cohort_members != retention.cohort_size
    or revenue.retained_members != retention.retained_members
