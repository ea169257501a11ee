{#- One row per (event_date, user_id, user_pseudo_id) seen together on at least
    one GA4 event that day: the per-day contributions int_ga4_user_ids_mapped
    adds up. Incremental over the same window as int_ga4_user_days_aggregated
    (ga4_date_window): each run rebuilds the lookback days whole, so a day GA4
    restated replaces its old pairs, and no run reads the event history. -#}
{{ config(**ga4_incremental_config(cluster_by=['user_id', 'user_pseudo_id'])) }}

{%- set window = ga4_date_window() %}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

window_events as (

    select *
    from events
    where
        user_id is not null
        and user_pseudo_id is not null
        and {{ ga4_date_window_condition('event_date', window) }}

),

pair_days as (

    select
        event_date,
        user_id,
        user_pseudo_id,
        min(event_timestamp) as first_linked_at,
        count(*) as linked_event_count
    from window_events
    group by
        event_date,
        user_id,
        user_pseudo_id

)

select * from pair_days
