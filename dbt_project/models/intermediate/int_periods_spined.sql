{#-
    One row per reporting period of each declared grain (period_grains():
    'week', ISO weeks from Monday; 'month', calendar months), from the period holding the
    first signup or GA4 event (none when GA4 is
    not configured) to the one holding the as-of date: the latest date
    present in either source (signup, first payment or cancellation date, or
    GA4 event date). Every row also carries each source's own data range
    (docs blocks metric_membership_as_of_date, metric_ga4_as_of_date): the
    marts use it to leave a source's figures null where it has no data yet,
    and to flag partial periods and immature rates.
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

ga4_user_days as (

    select * from {{ ga4_ref('int_ga4_user_days_aggregated', {'event_date': 'date'}) }}

),

snapshots as (

    select * from {{ ref('stg_membership__member_snapshots') }}

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

member_range as (

    select min(signup_date) as membership_first_date
    from members

),

export_range as (

    -- The latest export's as-of date: the membership data is complete up to it.
    select max(as_of_date) as membership_as_of_date
    from snapshots

),

ga4_range as (

    -- The first and the latest daily table read (intraday tables never are).
    select
        min(event_date) as ga4_first_date,
        max(event_date) as ga4_as_of_date
    from ga4_user_days

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
        bounds.as_of_date,
        member_range.membership_first_date,
        export_range.membership_as_of_date,
        ga4_range.ga4_first_date,
        ga4_range.ga4_as_of_date
    from period_starts
    cross join bounds
    cross join member_range
    cross join export_range
    cross join ga4_range

),

final as (

    select
        period_grain,
        period_start,
        period_end,
        period_end <= as_of_date as is_complete_period,
        as_of_date,
        membership_first_date,
        membership_as_of_date,
        ga4_first_date,
        ga4_as_of_date
    from periods

)

select * from final
