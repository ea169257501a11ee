{#- One row per (event_date, user_pseudo_id): the user's GA4 activity that day.
    The interface the KPI marts and fct_ga4__active_users_daily read. Incremental
    over the same window as base_ga4__events (ga4_date_window): each run rebuilds
    the lookback days whole. -#}
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
        count(*) as event_count
    from window_events
    group by event_date, user_pseudo_id

)

select * from user_days
