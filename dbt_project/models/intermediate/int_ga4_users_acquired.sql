{#- First-user acquisition per GA4 device (user_pseudo_id): the traffic_source
    (source, medium, name) of the device's earliest event, and its default
    channel group (ga4_default_channel_group). Where several events share the
    earliest timestamp with different values, the smallest (source, medium,
    name) wins, a missing value sorting as '', so the result never depends on
    row order. A part the export leaves null reads (not set), as GA4 shows it
    (an app install from the store has no campaign), and is classified as such.

    Read from int_ga4_user_days_aggregated, which keeps each user-day's
    earliest event by the same order: the first of the days' firsts is the
    first of all events, and the days' counts sum to the device's. The table
    is rebuilt whole on every run from those few rows per user-day (the
    incremental model has already replaced the reprocessed days), so a device
    whose events were restated or withdrawn is never left behind, while no run
    reads the event history. -#}

with

user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

devices as (

    select
        user_pseudo_id,
        min(first_event_at) as first_event_at,
        min(first_touch_timestamp) as first_touch_timestamp,
        -- Cast back: DuckDB widens a sum of integers to hugeint.
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count,
        {{ first_by(
            {
                'first_user_source': 'first_event_source',
                'first_user_medium': 'first_event_medium',
                'first_user_campaign': 'first_event_campaign',
            },
            [
                'first_event_at',
                "coalesce(first_event_source, '')",
                "coalesce(first_event_medium, '')",
                "coalesce(first_event_campaign, '')",
            ],
            where='first_event_at is not null',
        ) }} as first_touch
    from user_days
    group by user_pseudo_id

),

first_touches as (

    -- A device whose events all lack a timestamp has no earliest event, and no row.
    select
        devices.user_pseudo_id,
        devices.first_event_at,
        devices.first_touch_timestamp,
        devices.event_count,
        coalesce(devices.first_touch.first_user_source, '(not set)') as first_user_source,
        coalesce(devices.first_touch.first_user_medium, '(not set)') as first_user_medium,
        coalesce(devices.first_touch.first_user_campaign, '(not set)') as first_user_campaign
    from devices
    where devices.first_event_at is not null

),

triples as (

    select distinct
        first_user_source,
        first_user_medium,
        first_user_campaign
    from first_touches

),

classified as (

    select
        first_user_source,
        first_user_medium,
        first_user_campaign,
        {{ ga4_default_channel_group(
            'first_user_source', 'first_user_medium', 'first_user_campaign'
        ) }} as first_user_channel_group
    from triples

),

final as (

    select
        first_touches.user_pseudo_id,
        first_touches.first_event_at,
        first_touches.first_touch_timestamp,
        first_touches.event_count,
        first_touches.first_user_source,
        first_touches.first_user_medium,
        first_touches.first_user_campaign,
        classified.first_user_channel_group
    from first_touches
    inner join classified
        on
            first_touches.first_user_source = classified.first_user_source
            and first_touches.first_user_medium = classified.first_user_medium
            and first_touches.first_user_campaign = classified.first_user_campaign

)

select * from final
