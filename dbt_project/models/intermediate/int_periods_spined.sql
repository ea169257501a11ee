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

periods as (

    -- One set of periods per declared grain (macros/periods/period_grains.sql).
    {%- for grain in period_grains() %}

    select distinct
        '{{ grain }}' as period_grain,
        {{ period_start(grain, 'days.date_day') }} as period_start,
        {{ period_end(grain, period_start(grain, 'days.date_day')) }} as period_end,
        bounds.as_of_date
    from days
    cross join bounds
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

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
