{#- The revenue cohorts and the retention cohorts count the same members: both
    marts have exactly the same cells (neither measures a month that starts after
    the membership as-of date), and in each cell cohort_members and
    retained_members equal fct_retention_cohorts_monthly's cohort_size and
    retained_members. -#}

with

revenue as (

    select * from {{ ref('fct_revenue_cohorts_monthly') }}

),

retention as (

    select * from {{ ref('fct_retention_cohorts_monthly') }}

),

compared as (

    select
        coalesce(revenue.cohort_month, retention.cohort_month) as cohort_month,
        coalesce(
            revenue.months_since_first_payment, retention.months_since_first_payment
        ) as months_since_first_payment,
        revenue.cohort_month is not null as is_in_revenue,
        retention.cohort_month is not null as is_in_retention,
        revenue.cohort_members,
        retention.cohort_size,
        revenue.retained_members,
        retention.retained_members as retention_retained_members
    from revenue
    full outer join retention
        on
            revenue.cohort_month = retention.cohort_month
            and revenue.months_since_first_payment = retention.months_since_first_payment

)

select *
from compared
where
    is_in_revenue != is_in_retention
    or not coalesce(
        cohort_members = cohort_size and retained_members = retention_retained_members, false
    )
