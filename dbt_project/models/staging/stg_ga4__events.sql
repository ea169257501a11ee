{#- One row per GA4 event (exact duplicates already removed in base_ga4__events),
    with the activity flags of docs/specification.md ("GA4 export"). A view: the
    scan-heavy work is in the incremental base table. -#}

with

events as (

    select * from {{ ref('base_ga4__events') }}

),

flagged as (

    select
        event_key,
        event_date,
        event_timestamp,
        event_name,
        user_id,
        user_pseudo_id,
        user_first_touch_timestamp,
        ga_session_id,
        ga_session_number,
        engagement_time_msec,
        page_location,
        page_referrer,
        is_session_engaged,
        is_active_user,
        -- GA4's is_active_user decides when the export has it; only where it is
        -- null (exports before 2023-07-17) does Google's definition of an active
        -- user: an engaged session, a first visit / first open, or engagement time.
        coalesce(
            is_active_user,
            coalesce(is_session_engaged, false)
            or event_name in ('first_visit', 'first_open')
            or coalesce(engagement_time_msec, 0) > 0
        ) as is_active,
        event_name in ('first_visit', 'first_open') as is_first_visit,
        traffic_source_source,
        traffic_source_medium,
        traffic_source_name,
        collected_source,
        collected_medium,
        collected_campaign,
        collected_gclid,
        param_source,
        param_medium,
        param_campaign,
        param_gclid,
        {% for key in var('ga4_custom_event_params', []) or [] %}
            custom_param_{{ key }},
        {% endfor %}
        last_click_source,
        last_click_medium,
        last_click_campaign,
        device_category,
        geo_country,
        stream_id,
        platform
    from events

)

select * from flagged
