{#- One row per event_date with GA4 events: the day's event count and distinct
    devices, which fct_ga4__export_days compares day with day. Incremental over
    the same window as base_ga4__events (ga4_date_window): each run recounts the
    lookback days whole, so a day GA4 restated replaces its counts, and no run
    reads the event history. Counted from the events rather than from
    int_ga4_user_days_aggregated, which leaves out events without a
    user_pseudo_id (cookieless pings): the export's size counts them. -#}
{{ config(**ga4_incremental_config()) }}

{%- set window = ga4_date_window() %}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

window_events as (

    select *
    from events
    where {{ ga4_date_window_condition('event_date', window) }}

),

days as (

    select
        event_date,
        count(*) as event_count,
        count(distinct user_pseudo_id) as user_count
    from window_events
    group by event_date

)

select * from days
