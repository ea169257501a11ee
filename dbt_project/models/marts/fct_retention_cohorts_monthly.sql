{#-
    Monthly retention of paying members, by the month of their first payment.
    One row per (cohort_month, months_since_first_payment) for every month from
    the cohort's own up to the month holding the as-of date.
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

payers as (

    select
        member_id,
        {{ month_start('first_paid_date') }} as cohort_month,
        canceled_date
    from members
    where is_valid_payer

),

as_of as (

    select max(as_of_date) as as_of_date
    from periods

),

month_bounds as (

    select
        min(payers.cohort_month) as first_month,
        max(as_of.as_of_date) as as_of_date
    from payers
    cross join as_of

),

days as (

    {{ date_series('first_month', 'as_of_date', 'month_bounds') }}

),

months as (

    select distinct
        {{ month_start('date_day') }} as month_start
    from days

),

month_ends as (

    select
        month_start,
        cast({{ last_day_of_month('month_start') }} as date) as month_end
    from months

),

cohort_months as (

    select
        payers.member_id,
        payers.cohort_month,
        payers.canceled_date,
        month_ends.month_start,
        month_ends.month_end
    from payers
    inner join month_ends
        on payers.cohort_month <= month_ends.month_start

),

cohort_counts as (

    select
        cohort_month,
        month_start,
        count(member_id) as cohort_size,
        count(
            case when canceled_date is null or canceled_date > month_end then member_id end
        ) as retained_members
    from cohort_months
    group by
        cohort_month,
        month_start

),

final as (

    select
        cohort_month,
        cast(
            {{ dbt.datediff('cohort_month', 'month_start', 'month') | trim }}
            as {{ dbt.type_bigint() }}
        ) as months_since_first_payment,
        cohort_size,
        retained_members,
        {{ safe_ratio('retained_members', 'cohort_size') }} as retention_rate
    from cohort_counts

)

select * from final
