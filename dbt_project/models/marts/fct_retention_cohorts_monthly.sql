{#-
    Monthly retention of paying members, by the month of their first payment.
    One row per (cohort_month, months_since_first_payment) for every month from
    the cohort's own up to the month holding the membership as-of date (and
    the data's as-of date): past the newest export nobody knows who still
    pays, so no cell is measured there (has_membership_data). A member is
    retained at a month's end when one of their paying spells covers it, so a
    member who canceled and resubscribed counts again. is_mature: the measured
    month has ended by the membership data's as-of date, so the cell is final.
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

spells as (

    select * from {{ ref('int_paying_spells_merged') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

payers as (

    select
        member_id,
        {{ month_start('first_paid_date') }} as cohort_month
    from members
    where is_valid_payer

),

as_of as (

    select
        max(as_of_date) as as_of_date,
        max(membership_as_of_date) as membership_as_of_date
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

    -- Past the newest export nobody has seen who pays: no month is measured there.
    select
        months.month_start,
        cast({{ last_day_of_month('months.month_start') }} as date) as month_end
    from months
    cross join as_of
    where {{ has_membership_data('months.month_start', 'as_of.membership_as_of_date') }}

),

cohort_months as (

    select
        payers.member_id,
        payers.cohort_month,
        month_ends.month_start,
        month_ends.month_end
    from payers
    inner join month_ends
        on payers.cohort_month <= month_ends.month_start

),

retained_months as (

    -- Spells do not overlap, so at most one covers a month's end.
    select
        cohort_months.member_id,
        cohort_months.month_start
    from cohort_months
    inner join spells
        on
            cohort_months.member_id = spells.member_id
            and cohort_months.month_end >= spells.spell_start_date
            and (spells.spell_end_date is null or cohort_months.month_end < spells.spell_end_date)

),

cohort_counts as (

    select
        cohort_months.cohort_month,
        cohort_months.month_start,
        count(cohort_months.member_id) as cohort_size,
        count(retained_months.member_id) as retained_members
    from cohort_months
    left join retained_months
        on
            cohort_months.member_id = retained_months.member_id
            and cohort_months.month_start = retained_months.month_start
    group by
        cohort_months.cohort_month,
        cohort_months.month_start

),

matured as (

    select
        cohort_counts.cohort_month,
        cohort_counts.month_start,
        cohort_counts.cohort_size,
        cohort_counts.retained_members,
        coalesce(
            cast({{ last_day_of_month('cohort_counts.month_start') }} as date)
            <= as_of.membership_as_of_date,
            false
        ) as is_mature
    from cohort_counts
    cross join as_of

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
        {{ safe_ratio('retained_members', 'cohort_size') }} as retention_rate,
        is_mature
    from matured

)

select * from final
