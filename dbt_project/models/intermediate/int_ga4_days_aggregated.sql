{#- One row per event_date with GA4 events: the day's event count and distinct
    devices, which fct_ga4__export_days compares day with day. Incremental over
    the same window as base_ga4__events (ga4_date_window): each run recounts the
    lookback days whole, so a day GA4 restated replaces its counts, and no run
    reads the event history.

    The devices and their events come from int_ga4_user_days_aggregated (one row
    per device-day, rebuilt over the same window earlier in the run), so no
    distinct count over the events is needed; the events without a
    user_pseudo_id (cookieless pings), which that model leaves out, are counted
    from the window's events: the export's size counts them. -#}
{{ config(**ga4_incremental_config()) }}

{%- set window = ga4_date_window() %}

with

user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

events as (

    select * from {{ ref('stg_ga4__events') }}

),

device_days as (

    select
        event_date,
        count(*) as user_count,
        sum(event_count) as device_event_count
    from user_days
    where {{ ga4_date_window_condition('event_date', window) }}
    group by event_date

),

anonymous_days as (

    select
        event_date,
        count(*) as anonymous_event_count
    from events
    where
        user_pseudo_id is null
        and {{ ga4_date_window_condition('event_date', window) }}
    group by event_date

),

days as (

    select
        coalesce(device_days.event_date, anonymous_days.event_date) as event_date,
        coalesce(device_days.device_event_count, 0)
        + coalesce(anonymous_days.anonymous_event_count, 0) as event_count,
        coalesce(device_days.user_count, 0) as user_count
    from device_days
    full outer join anonymous_days
        on device_days.event_date = anonymous_days.event_date

)

select
    event_date,
    cast(event_count as {{ dbt.type_bigint() }}) as event_count,
    cast(user_count as {{ dbt.type_bigint() }}) as user_count
from days
