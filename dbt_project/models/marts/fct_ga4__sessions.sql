{#-
    One row per GA4 session: the session with its credited source / medium /
    campaign (int_ga4_sessions_attributed) and the channel group of that triple
    (int_ga4_traffic_sources_classified), with the session's key and its
    engagement (docs block metric_is_engaged_session).

    Incremental over the GA4 date window on session_date, like the two models it
    joins; both are read over the window only.
-#}
{{ config(**ga4_incremental_config(cluster_by=['session_channel_group', 'user_pseudo_id'],
    date_column='session_date')) }}

{%- set window = ga4_date_window('session_date') %}

with

sessions as (

    select * from {{ ref('int_ga4_sessions_attributed') }}
    where {{ ga4_date_window_condition('session_date', window) }}

),

traffic_sources as (

    select * from {{ ref('int_ga4_traffic_sources_classified') }}
    where {{ ga4_date_window_condition('session_date', window) }}

),

final as (

    select
        {{ ga4_surrogate_key([
            'sessions.stream_id',
            'sessions.user_pseudo_id',
            'sessions.ga_session_id',
        ]) }} as session_key,
        sessions.stream_id,
        sessions.user_pseudo_id,
        sessions.ga_session_id,
        sessions.session_date,
        sessions.session_start_at as session_start_at_utc,
        sessions.session_number,
        sessions.user_id,
        sessions.landing_page_location,
        sessions.country,
        sessions.attribution_basis,
        sessions.session_source,
        sessions.session_medium,
        sessions.session_campaign,
        traffic_sources.session_channel_group,
        sessions.touch_basis,
        sessions.touch_source,
        sessions.touch_medium,
        sessions.touch_campaign,
        sessions.has_session_engaged_flag
        or sessions.engagement_time_msec >= 10000
        or sessions.page_views >= 2 as is_engaged_session,
        cast(sessions.engagement_time_msec as {{ type_double() }}) as engagement_time_msec,
        cast(sessions.engagement_time_msec as {{ type_double() }}) / 1000 as engagement_seconds,
        sessions.page_views,
        sessions.event_count,
        sessions.has_sign_up,
        sessions.has_purchase
    from sessions
    inner join traffic_sources
        on
            sessions.session_date = traffic_sources.session_date
            and sessions.session_source = traffic_sources.session_source
            and sessions.session_medium = traffic_sources.session_medium
            and sessions.session_campaign = traffic_sources.session_campaign

)

select * from final
