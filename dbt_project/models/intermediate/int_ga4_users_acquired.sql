{#- First-user acquisition per GA4 device (user_pseudo_id): the traffic_source
    (source, medium, name) of the device's earliest event, and its default
    channel group (ga4_default_channel_group). Where several events share the
    earliest timestamp with different values, the smallest (source, medium,
    name) wins, so the result never depends on row order. The earliest event
    is found by a grouped minimum and a join rather than a window over the
    whole history, which would sort every event. -#}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

device_events as (

    select
        user_pseudo_id,
        event_timestamp,
        user_first_touch_timestamp,
        coalesce(traffic_source_source, '') as source_sort_key,
        coalesce(traffic_source_medium, '') as medium_sort_key,
        coalesce(traffic_source_name, '') as name_sort_key,
        traffic_source_source,
        traffic_source_medium,
        traffic_source_name
    from events
    where user_pseudo_id is not null

),

devices as (

    select
        user_pseudo_id,
        min(event_timestamp) as first_event_at,
        min(user_first_touch_timestamp) as first_touch_timestamp,
        count(*) as event_count
    from device_events
    group by user_pseudo_id

),

earliest_events as (

    select
        device_events.user_pseudo_id,
        device_events.traffic_source_source,
        device_events.traffic_source_medium,
        device_events.traffic_source_name,
        device_events.source_sort_key,
        device_events.medium_sort_key,
        device_events.name_sort_key,
        row_number() over (
            partition by device_events.user_pseudo_id
            order by
                device_events.source_sort_key,
                device_events.medium_sort_key,
                device_events.name_sort_key
        ) as tie_rank
    from device_events
    inner join devices
        on
            device_events.user_pseudo_id = devices.user_pseudo_id
            and device_events.event_timestamp = devices.first_event_at

),

first_touches as (

    select
        user_pseudo_id,
        source_sort_key,
        medium_sort_key,
        name_sort_key,
        traffic_source_source as first_user_source,
        traffic_source_medium as first_user_medium,
        traffic_source_name as first_user_campaign
    from earliest_events
    where tie_rank = 1

),

triples as (

    -- A null matches no channel rule, as '' does not: both classify alike.
    select distinct
        source_sort_key,
        medium_sort_key,
        name_sort_key
    from first_touches

),

classified as (

    select
        source_sort_key,
        medium_sort_key,
        name_sort_key,
        {{ ga4_default_channel_group('source_sort_key', 'medium_sort_key', 'name_sort_key') }}
            as first_user_channel_group
    from triples

),

final as (

    select
        devices.user_pseudo_id,
        devices.first_event_at,
        devices.first_touch_timestamp,
        devices.event_count,
        first_touches.first_user_source,
        first_touches.first_user_medium,
        first_touches.first_user_campaign,
        classified.first_user_channel_group
    from devices
    inner join first_touches
        on devices.user_pseudo_id = first_touches.user_pseudo_id
    inner join classified
        on
            first_touches.source_sort_key = classified.source_sort_key
            and first_touches.medium_sort_key = classified.medium_sort_key
            and first_touches.name_sort_key = classified.name_sort_key

)

select * from final
