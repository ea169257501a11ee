{#-
    One row per reporting period of each declared grain (period_grains():
    'week', ISO weeks from Monday; 'month', calendar months), from the period holding the
    first signup or GA4 event (none when GA4 is
    not configured) to the one holding the as-of date: the latest date
    present in either source (signup, first payment or cancellation date, or
    GA4 event date).
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

ga4_user_days as (

    select * from {{ ga4_ref('int_ga4_user_days_aggregated', {'event_date': 'date'}) }}

),

activity_dates as (

    select
        signup_date as first_candidate_date,
        signup_date as last_candidate_date
    from members

    union all

    select
        cast(null as date) as first_candidate_date,
        first_paid_date as last_candidate_date
    from members

    union all

    select
        cast(null as date) as first_candidate_date,
        canceled_date as last_candidate_date
    from members

    union all

    -- A resubscription's first payment is a first payment date too.
    select
        cast(null as date) as first_candidate_date,
        resubscribed_date as last_candidate_date
    from members

    union all

    select
        event_date as first_candidate_date,
        event_date as last_candidate_date
    from ga4_user_days

),

bounds as (

    select
        min(first_candidate_date) as first_date,
        max(last_candidate_date) as as_of_date
    from activity_dates

),

days as (

    {{ date_series('first_date', 'as_of_date', 'bounds') }}

),

grains as (

    -- The declared grains (macros/periods/period_grains.sql), one row each.
    {{ period_grain_rows() }}

),

period_starts as (

    select distinct
        grains.period_grain,
        {{ period_start_by_grain('days.date_day') }} as period_start
    from days
    cross join grains

),

periods as (

    select
        period_starts.period_grain,
        period_starts.period_start,
        {{ period_end_by_grain(
            'period_starts.period_start', 'period_starts.period_grain'
        ) }} as period_end,
        bounds.as_of_date
    from period_starts
    cross join bounds

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        period_end <= as_of_date as is_complete_period,
        as_of_date
    from periods

)

select * from final
