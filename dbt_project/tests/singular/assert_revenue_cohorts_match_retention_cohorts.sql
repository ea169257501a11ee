{#- The revenue cohorts and the retention cohorts count the same members: a
    cell's cohort_members and retained_members equal fct_retention_cohorts_monthly's
    cohort_size and retained_members, for every cell of the revenue mart (whose
    cohorts are those of the spine's months). The revenue mart has a cell for
    exactly the retention cells whose measured month starts on or before the
    membership as-of date (fct_kpis_monthly's): past it the retention mart keeps
    immature cells, the revenue mart has none. -#}

with

revenue as (

    select * from {{ ref('fct_revenue_cohorts_monthly') }}

),

retention as (

    select * from {{ ref('fct_retention_cohorts_monthly') }}

),

kpis as (

    select * from {{ ref('fct_kpis_monthly') }}

),

membership_range as (

    select max(membership_as_of_date) as membership_as_of_date
    from kpis

),

retention_cells as (

    select
        retention.*,
        cast(
            {{ dbt.dateadd(
                'month', 'retention.months_since_first_payment', 'retention.cohort_month'
            ) | trim }} as date
        ) <= membership_range.membership_as_of_date as is_covered
    from retention
    cross join membership_range

),

compared as (

    select
        coalesce(revenue.cohort_month, retention_cells.cohort_month) as cohort_month,
        coalesce(
            revenue.months_since_first_payment, retention_cells.months_since_first_payment
        ) as months_since_first_payment,
        revenue.cohort_month is not null as is_in_revenue,
        retention_cells.cohort_month is not null as is_in_retention,
        coalesce(retention_cells.is_covered, false) as is_covered,
        revenue.cohort_members,
        retention_cells.cohort_size,
        revenue.retained_members,
        retention_cells.retained_members as retention_retained_members
    from revenue
    full outer join retention_cells
        on
            revenue.cohort_month = retention_cells.cohort_month
            and revenue.months_since_first_payment = retention_cells.months_since_first_payment

)

select *
from compared
where
    is_in_revenue != is_covered
    or (
        is_in_revenue
        and not coalesce(
            cohort_members = cohort_size and retained_members = retention_retained_members, false
        )
    )
