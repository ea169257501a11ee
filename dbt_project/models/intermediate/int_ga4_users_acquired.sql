{#- First-user acquisition per GA4 device (user_pseudo_id): the traffic_source
    (source, medium, name) of the device's earliest event, and its default
    channel group (ga4_default_channel_group). Where several events share the
    earliest timestamp with different values, the smallest (source, medium,
    name) wins, a missing value sorting as '', so the result never depends on
    row order. A part the export leaves null reads (not set), as GA4 shows it
    (an app install from the store has no campaign), and is classified as such.

    Read from int_ga4_user_days_aggregated, which keeps each user-day's
    earliest event by the same order: the first of the days' firsts is the
    first of all events, and the days' counts sum to the device's.

    A state table (ga4_state_config): an incremental run recomputes only the
    devices whose user-days the run may have rewritten, from all of their
    user-days, and keeps every other device's row as it was, since nothing it
    is made of changed. Those devices are the ones with a user-day in the GA4
    window now, and the ones whose first_seen_date..last_seen_date overlapped
    it before (a device whose days there were all withdrawn has no user-day
    left to name it). A recomputed device without an earliest event any more
    gets a row of nulls, which the post-hook deletes. -#}
{{ config(**ga4_state_config('user_pseudo_id', 'first_event_at', cluster_by=['user_pseudo_id'])) }}

{%- set window = ga4_state_window('first_seen_date', 'last_seen_date') %}

with

user_days as (

    select * from {{ ref('int_ga4_user_days_aggregated') }}

),

touched_devices as (

    -- The devices whose user-days this run may have rewritten.
    -- The user-day table is read here apart from the import CTE: DuckDB
    -- materialises a CTE read twice, all of its rows, before either filter.
    select distinct candidates.user_pseudo_id
    from (
        select user_pseudo_id
        from {{ ref('int_ga4_user_days_aggregated') }}
        where {{ ga4_date_window_condition('event_date', window) }}
        {{ ga4_state_keys_before('user_pseudo_id', 'first_seen_date', 'last_seen_date', window) }}
    ) as candidates

),

touched_days as (

    select *
    from user_days
    where {{ ga4_state_touched_condition('user_pseudo_id', 'touched_devices') }}

),

devices as (

    select
        user_pseudo_id,
        min(event_date) as first_seen_date,
        max(event_date) as last_seen_date,
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
    from touched_days
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
        coalesce(devices.first_touch.first_user_campaign, '(not set)') as first_user_campaign,
        devices.first_seen_date,
        devices.last_seen_date
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

acquired as (

    select
        first_touches.user_pseudo_id,
        first_touches.first_event_at,
        first_touches.first_touch_timestamp,
        first_touches.event_count,
        first_touches.first_user_source,
        first_touches.first_user_medium,
        first_touches.first_user_campaign,
        classified.first_user_channel_group,
        first_touches.first_seen_date,
        first_touches.last_seen_date
    from first_touches
    inner join classified
        on
            first_touches.first_user_source = classified.first_user_source
            and first_touches.first_user_medium = classified.first_user_medium
            and first_touches.first_user_campaign = classified.first_user_campaign

),

withdrawn as (

    -- Touched devices left without an earliest event: a row of nulls that
    -- replaces the old one and that the post-hook deletes. None on a full build.
    select
        touched_devices.user_pseudo_id,
        acquired.first_event_at,
        acquired.first_touch_timestamp,
        acquired.event_count,
        acquired.first_user_source,
        acquired.first_user_medium,
        acquired.first_user_campaign,
        acquired.first_user_channel_group,
        acquired.first_seen_date,
        acquired.last_seen_date
    from touched_devices
    left join acquired
        on touched_devices.user_pseudo_id = acquired.user_pseudo_id
    where
        acquired.user_pseudo_id is null
        and {{ 'true' if is_incremental() else 'false' }}

),

final as (

    select * from acquired
    union all
    select * from withdrawn

)

select * from final
