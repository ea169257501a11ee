{#- Sessions per day and session default channel group (docs blocks in
    models/docs/acquisition_metrics.md): one row per (session_date,
    channel_group) with at least one session, plus the day's count of events
    that belong to no session. Incremental over ga4_date_window on
    session_date: each run rebuilds the same days as fct_ga4__sessions. -#}
{{ config(**ga4_incremental_config(cluster_by=['channel_group'], date_column='session_date')) }}

{%- set window = ga4_date_window('session_date') %}

with

sessions as (

    select * from {{ ref('fct_ga4__sessions') }}

),

events as (

    select * from {{ ref('stg_ga4__events') }}

),

window_sessions as (

    select *
    from sessions
    where {{ ga4_date_window_condition('session_date', window) }}

),

sessionless_events as (

    select
        event_date,
        count(*) as events_without_session
    from events
    where
        (user_pseudo_id is null or ga_session_id is null)
        and {{ ga4_date_window_condition('event_date', window) }}
    group by event_date

),

channel_days as (

    select
        session_date,
        session_channel_group as channel_group,
        count(*) as sessions,
        count(case when is_engaged_session then 1 end) as engaged_sessions,
        -- Whole milliseconds add up exactly in any order; seconds would not.
        sum(engagement_time_msec) as engagement_time_msec,
        cast(sum(page_views) as {{ dbt.type_bigint() }}) as page_views,
        count(case when has_sign_up then 1 end) as sessions_with_sign_up,
        count(case when has_purchase then 1 end) as sessions_with_purchase
    from window_sessions
    group by
        session_date,
        session_channel_group

),

final as (

    select
        channel_days.session_date,
        channel_days.channel_group,
        channel_days.sessions,
        channel_days.engaged_sessions,
        {{ safe_ratio('channel_days.engaged_sessions', 'channel_days.sessions') }}
            as engagement_rate,
        {{ safe_ratio('channel_days.engagement_time_msec / 1000', 'channel_days.sessions') }}
            as average_engagement_seconds,
        channel_days.page_views,
        channel_days.sessions_with_sign_up,
        channel_days.sessions_with_purchase,
        coalesce(sessionless_events.events_without_session, 0) as day_events_without_session
    from channel_days
    left join sessionless_events
        on channel_days.session_date = sessionless_events.event_date

)

select * from final
