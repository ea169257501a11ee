{#- One row per (event_date, user_pseudo_id): the user's GA4 activity that day.
    The interface the KPI marts and fct_ga4__active_users_daily read. Incremental
    over the same window as base_ga4__events (ga4_date_window): each run rebuilds
    the lookback days whole. It also keeps the day's earliest event (its time and
    traffic_source, ties to the smallest values as int_ga4_users_acquired reads
    them), so that model takes a device's first touch from these few rows per
    user-day instead of from every event it ever sent. -#}
{{ config(**ga4_incremental_config(cluster_by=['user_pseudo_id'])) }}

{%- set window = ga4_date_window() %}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

window_events as (

    select *
    from events
    where
        user_pseudo_id is not null
        and {{ ga4_date_window_condition('event_date', window) }}

),

user_days as (

    select
        event_date,
        user_pseudo_id,
        max(case when is_active then 1 else 0 end) = 1 as is_active,
        max(case when is_first_visit then 1 else 0 end) = 1 as is_new_user,
        count(*) as event_count,
        min(event_timestamp) as first_event_at,
        min(user_first_touch_timestamp) as first_touch_timestamp,
        {{ first_by(
            {
                'traffic_source_source': 'traffic_source_source',
                'traffic_source_medium': 'traffic_source_medium',
                'traffic_source_name': 'traffic_source_name',
            },
            [
                'event_timestamp',
                "coalesce(traffic_source_source, '')",
                "coalesce(traffic_source_medium, '')",
                "coalesce(traffic_source_name, '')",
            ],
            where='event_timestamp is not null',
        ) }} as first_traffic_source
    from window_events
    group by event_date, user_pseudo_id

),

first_events as (

    select
        user_days.event_date,
        user_days.user_pseudo_id,
        user_days.is_active,
        user_days.is_new_user,
        user_days.event_count,
        user_days.first_event_at,
        user_days.first_touch_timestamp,
        user_days.first_traffic_source.traffic_source_source as first_event_source,
        user_days.first_traffic_source.traffic_source_medium as first_event_medium,
        user_days.first_traffic_source.traffic_source_name as first_event_campaign
    from user_days

)

select * from first_events
