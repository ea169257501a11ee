{#-
    The GA4 daily export as one table: the shards of the run's date window
    (ga4_date_window), typed, the parameters the project uses (and those of var
    ga4_custom_event_params) pulled out of event_params, and exact duplicates
    removed. The event_params array itself is not stored: no model reads it, and
    writing it was most of a full refresh. Incremental (ga4_incremental_config)
    because scanning the sharded export is the expensive step; stg_ga4__events is a
    thin view over it.
-#}
{{ config(
    post_hook=[
        {'sql': "{{ ga4_event_dedupe_post_hook() }}", 'transaction': false},
        {'sql': "{{ ga4_event_dedupe_checkpoint() }}", 'transaction': false},
    ],
    **ga4_incremental_config(cluster_by=['event_name', 'user_pseudo_id'])
) }}

{%- set window = ga4_date_window() %}
{#- Parameters a user asked for beyond the project's own (var ga4_custom_event_params). -#}
{%- set custom_params = var('ga4_custom_event_params', []) or [] %}

{%- set shards = ga4_events_source(ga4_suffix(window.start), ga4_suffix(window.end)) %}

with

source as (

    select * from {{ shards }} as shards

),

extracted as (

    select
        {{ yyyymmdd_to_date('source.event_date') }} as event_date,
        {{ micros_to_timestamp('source.event_timestamp') }} as event_timestamp,
        source.event_timestamp as event_timestamp_micros,
        source.event_name,
        source.user_id,
        source.user_pseudo_id,
        source.user_first_touch_timestamp,
        source.is_active_user,
        {{ ga4_event_param('ga_session_id', 'int') }} as ga_session_id,
        {{ ga4_event_param('ga_session_number', 'int') }} as ga_session_number,
        {{ ga4_event_param('engagement_time_msec', 'number') }} as engagement_time_msec,
        {{ ga4_event_param('page_location', 'string') }} as page_location,
        {{ ga4_event_param('page_referrer', 'string') }} as page_referrer,
        {{ ga4_event_param('session_engaged', 'any') }} as session_engaged,
        -- The landing page's utm_* tags (and gclid) as the web tag writes them, in
        -- every vintage of the export.
        {{ ga4_event_param('source', 'string') }} as param_source,
        {{ ga4_event_param('medium', 'string') }} as param_medium,
        {{ ga4_event_param('campaign', 'string') }} as param_campaign,
        {{ ga4_event_param('gclid', 'string') }} as param_gclid,
        {% for key in custom_params %}
            {{ ga4_event_param(key, 'any') }} as custom_param_{{ key }},
        {% endfor %}
        source.traffic_source.source as traffic_source_source,
        source.traffic_source.medium as traffic_source_medium,
        source.traffic_source.name as traffic_source_name,
        -- The later columns are null in shards from before Google added them
        -- (ga4_events_source, ga4_later_columns).
        source.collected_traffic_source.manual_source as collected_source,
        source.collected_traffic_source.manual_medium as collected_medium,
        source.collected_traffic_source.manual_campaign_name as collected_campaign,
        source.collected_traffic_source.gclid as collected_gclid,
        source.session_traffic_source_last_click.manual_campaign.source as last_click_source,
        source.session_traffic_source_last_click.manual_campaign.medium as last_click_medium,
        source.session_traffic_source_last_click.manual_campaign.campaign_name
            as last_click_campaign,
        source.device.category as device_category,
        source.geo.country as geo_country,
        source.stream_id,
        source.platform,
        source.event_params
    from source

),

keyed as (

    select
        {{ ga4_event_key([
            'event_date',
            'event_timestamp_micros',
            'event_name',
            'user_id',
            'user_pseudo_id',
            'user_first_touch_timestamp',
            'is_active_user',
            'traffic_source_source',
            'traffic_source_medium',
            'traffic_source_name',
            'collected_source',
            'collected_medium',
            'collected_campaign',
            'collected_gclid',
            'last_click_source',
            'last_click_medium',
            'last_click_campaign',
            'device_category',
            'geo_country',
            'stream_id',
            'platform',
        ], 'event_params') }} as event_key,
        *
    from extracted

),

deduplicated as (

    select
        *,
        -- The key covers event_date, so duplicates share a day.
        {{ ga4_event_duplicate_number() }} as duplicate_number
    from keyed

),

final as (

    select
        event_key,
        event_date,
        event_timestamp,
        event_name,
        user_id,
        user_pseudo_id,
        user_first_touch_timestamp,
        is_active_user,
        ga_session_id,
        ga_session_number,
        engagement_time_msec,
        page_location,
        page_referrer,
        session_engaged = '1' as is_session_engaged,
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
        {% for key in custom_params %}
            custom_param_{{ key }},
        {% endfor %}
        last_click_source,
        last_click_medium,
        last_click_campaign,
        device_category,
        geo_country,
        stream_id,
        platform,
        -- The run that wrote the row: the DuckDB post-hook dedupes only those.
        '{{ invocation_id }}' as _invocation_id
    from deduplicated
    where duplicate_number = 1

)

select * from final
