{#-
    One row per GA4 session, keyed by (stream_id, user_pseudo_id, ga_session_id)
    and dated by its first event's event_date (session_date): what the session's
    own events say about it, before int_ga4_sessions_attributed credits a direct
    session to an earlier click. Events without a user_pseudo_id or a
    ga_session_id (consent mode's cookieless pings, older app exports) belong to
    no session; fct_ga4__sessions_daily counts them per day.

    The session's touch (touch_source / touch_medium / touch_campaign), the first
    of these that the session has (docs block metric_session_touch_source):
    1. the export's own session attribution, session_traffic_source_last_click
       (exports from mid-2024 on): its first event carrying it;
    2. else its first event with campaign data in collected_traffic_source (2023
       on; a gclid means google / cpc);
    3. else its first event with the event parameters source / medium / campaign
       / gclid, which the web tag writes from the landing page's utm_* tags in
       every vintage (a gclid means google / cpc);
    4. else its first event whose page_referrer is on another host than the
       page: a search engine of the source-category list gives <engine> /
       organic, any other host <host> / referral;
    5. else (direct) / (none).
    A part a rule leaves empty reads (not set), as GA4 shows it. Ties between
    events of the same instant go to the smallest values, so the result never
    depends on row order.

    Cost: the events are read once, into one hash aggregate per session. An
    event's best claim is its lowest-numbered rule above (its other claims can
    never beat it), and the session keeps the first claim in (rule, time,
    source, medium, campaign) order with first_by, as the landing page is the
    first (time, page_location); no window sorts the events. Referrer hosts
    are classified once per distinct host and joined back by host; the events
    are imported twice so that DuckDB streams both reads instead of
    materialising one shared CTE.

    Incremental over ga4_date_window on session_date, like the other GA4
    models (on session_date the window starts a day early, so the sessions of
    the day before a backfill range get their events after midnight). The day
    before the window is read as well, so a session begun before midnight keeps
    its first event; it is left out (it is not rebuilt), and its later events
    are not mistaken for a new session.
-#}
{{ config(**ga4_incremental_config(cluster_by=['user_pseudo_id'],
    date_column='session_date')) }}

{%- set window = ga4_date_window('session_date') %}
{%- set read_window = {
    'start': none if window.start is none
        else (modules.datetime.date.fromisoformat(window.start) - modules.datetime.timedelta(days=1)).isoformat(),
    'end': window.end,
} %}
{%- set host_pattern = '^[a-z][a-z0-9+.-]*://([^/:?#]+)' %}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

referrer_events as (

    -- The same events, read by their own import for the referrer hosts: on
    -- DuckDB a CTE that two steps read is materialised, which at scale writes
    -- every event to disk before the session aggregate reads it back.
    select * from {{ ref('stg_ga4__events') }}

),

source_categories as (

    select * from {{ ref('ga4_source_categories') }}

),

session_events as (

    select
        stream_id,
        user_pseudo_id,
        ga_session_id,
        event_date,
        event_timestamp,
        event_name,
        user_id,
        ga_session_number,
        engagement_time_msec,
        is_session_engaged,
        page_location,
        page_referrer,
        geo_country,
        collected_source,
        collected_medium,
        collected_campaign,
        collected_gclid,
        param_source,
        param_medium,
        param_campaign,
        param_gclid,
        last_click_source,
        last_click_medium,
        last_click_campaign,
        last_click_source is not null as has_last_click,
        coalesce(
            collected_source,
            collected_medium,
            collected_campaign,
            collected_gclid
        ) is not null as has_collected_campaign,
        coalesce(
            param_source,
            param_medium,
            param_campaign,
            param_gclid
        ) is not null as has_param_campaign,
        {{ regexp_capture('lower(page_referrer)', host_pattern) }} as referrer_host,
        {{ regexp_capture('lower(page_location)', host_pattern) }} as page_host
    from events
    where
        user_pseudo_id is not null
        and ga_session_id is not null
        and {{ ga4_date_window_condition('event_date', read_window) }}

),

referrer_pages as (

    select
        {{ regexp_capture('lower(page_referrer)', host_pattern) }} as referrer_host,
        {{ regexp_capture('lower(page_location)', host_pattern) }} as page_host
    from referrer_events
    where
        page_referrer is not null
        and user_pseudo_id is not null
        and ga_session_id is not null
        and {{ ga4_date_window_condition('event_date', read_window) }}

),

referrer_hosts as (

    select distinct referrer_host
    from referrer_pages
    where
        referrer_host is not null
        and referrer_host != coalesce(page_host, '')

),

search_engine_names as (

    -- Engines the list names without a domain (google, naver, daum, bing):
    -- a host with such a label (www.google.com, search.naver.com) is theirs.
    select lower(source) as engine
    from source_categories
    where
        source_category = 'SOURCE_CATEGORY_SEARCH'
        and strpos(source, '.') = 0

),

host_engines as (

    select
        referrer_hosts.referrer_host,
        min(search_engine_names.engine) as engine
    from referrer_hosts
    cross join search_engine_names
    where
        strpos(
            concat('.', referrer_hosts.referrer_host, '.'),
            concat('.', search_engine_names.engine, '.')
        ) > 0
    group by referrer_hosts.referrer_host

),

listed_hosts as (

    select
        lower(source) as referrer_host,
        source_category
    from source_categories

),

referrers_classified as (

    -- A host the list names itself is what the list says (blog.naver.com is
    -- social, not search); an unlisted host is a search engine when one of
    -- its labels is an engine's name.
    select
        referrer_hosts.referrer_host,
        coalesce(
            listed_hosts.source_category = 'SOURCE_CATEGORY_SEARCH',
            host_engines.engine is not null
        ) as is_search_engine,
        coalesce(host_engines.engine, referrer_hosts.referrer_host) as engine
    from referrer_hosts
    left join listed_hosts
        on referrer_hosts.referrer_host = listed_hosts.referrer_host
    left join host_engines
        on referrer_hosts.referrer_host = host_engines.referrer_host

),

event_claims as (

    -- Each event's best claim on the session's touch: the first rule it meets
    -- (1 last click, 2 collected campaign data, 3 campaign parameters,
    -- 4 external referrer).
    select
        session_events.stream_id,
        session_events.user_pseudo_id,
        session_events.ga_session_id,
        session_events.event_date,
        session_events.event_timestamp,
        session_events.event_name,
        session_events.user_id,
        session_events.ga_session_number,
        session_events.engagement_time_msec,
        session_events.is_session_engaged,
        session_events.page_location,
        session_events.geo_country,
        case
            when session_events.has_last_click then 1
            when session_events.has_collected_campaign then 2
            when session_events.has_param_campaign then 3
            when referrers_classified.referrer_host is not null then 4
        end as attribution_priority,
        case
            when session_events.has_last_click then session_events.last_click_source
            when
                session_events.has_collected_campaign
                and session_events.collected_gclid is not null
                then 'google'
            when session_events.has_collected_campaign then session_events.collected_source
            when session_events.has_param_campaign and session_events.param_gclid is not null
                then 'google'
            when session_events.has_param_campaign then session_events.param_source
            when referrers_classified.is_search_engine then referrers_classified.engine
            else referrers_classified.referrer_host
        end as traffic_source,
        case
            when session_events.has_last_click then session_events.last_click_medium
            when
                session_events.has_collected_campaign
                and session_events.collected_gclid is not null
                then 'cpc'
            when session_events.has_collected_campaign then session_events.collected_medium
            when session_events.has_param_campaign and session_events.param_gclid is not null
                then 'cpc'
            when session_events.has_param_campaign then session_events.param_medium
            when referrers_classified.is_search_engine then 'organic'
            when referrers_classified.referrer_host is not null then 'referral'
        end as traffic_medium,
        case
            when session_events.has_last_click then session_events.last_click_campaign
            when session_events.has_collected_campaign then session_events.collected_campaign
            when session_events.has_param_campaign then session_events.param_campaign
            when referrers_classified.is_search_engine then '(organic)'
            when referrers_classified.referrer_host is not null then '(referral)'
        end as traffic_campaign
    from session_events
    left join referrers_classified
        on
            session_events.referrer_host = referrers_classified.referrer_host
            and session_events.referrer_host != coalesce(session_events.page_host, '')

),

sessions as (

    select
        stream_id,
        user_pseudo_id,
        ga_session_id,
        min(event_date) as session_date,
        min(event_timestamp) as session_start_at,
        min(ga_session_number) as session_number,
        max(user_id) as user_id,
        count(*) as event_count,
        count(case when event_name = 'page_view' then 1 end) as page_views,
        coalesce(sum(engagement_time_msec), 0) as engagement_time_msec,
        coalesce(max(case when is_session_engaged then 1 else 0 end), 0) = 1
            as has_session_engaged_flag,
        coalesce(max(case when event_name = 'sign_up' then 1 else 0 end), 0) = 1 as has_sign_up,
        coalesce(max(case when event_name = 'purchase' then 1 else 0 end), 0) = 1 as has_purchase,
        {{ first_by(
            {'page_location': 'page_location'},
            ['event_timestamp', 'page_location'],
            where='page_location is not null',
        ) }} as landing_page,
        {{ first_by(
            {'geo_country': 'geo_country'},
            ['event_timestamp', 'geo_country'],
            where='geo_country is not null',
        ) }} as first_country,
        {{ first_by(
            {
                'attribution_priority': 'attribution_priority',
                'traffic_source': 'traffic_source',
                'traffic_medium': 'traffic_medium',
                'traffic_campaign': 'traffic_campaign',
            },
            [
                'attribution_priority',
                'event_timestamp',
                "coalesce(traffic_source, '')",
                "coalesce(traffic_medium, '')",
                "coalesce(traffic_campaign, '')",
            ],
            where='attribution_priority is not null',
        ) }} as attribution
    from event_claims
    group by
        stream_id,
        user_pseudo_id,
        ga_session_id

),

final as (

    select
        sessions.stream_id,
        sessions.user_pseudo_id,
        sessions.ga_session_id,
        sessions.session_date,
        sessions.session_start_at,
        sessions.session_number,
        sessions.user_id,
        sessions.event_count,
        sessions.page_views,
        sessions.engagement_time_msec,
        sessions.has_session_engaged_flag,
        sessions.has_sign_up,
        sessions.has_purchase,
        sessions.landing_page.page_location as landing_page_location,
        sessions.first_country.geo_country as country,
        case sessions.attribution.attribution_priority
            when 1 then 'session_last_click'
            when 2 then 'collected_traffic_source'
            when 3 then 'event_parameters'
            when 4 then 'page_referrer'
            else 'none'
        end as touch_basis,
        case
            when sessions.attribution.attribution_priority is null then '(direct)'
            else coalesce(sessions.attribution.traffic_source, '(not set)')
        end as touch_source,
        case
            when sessions.attribution.attribution_priority is null then '(none)'
            else coalesce(sessions.attribution.traffic_medium, '(not set)')
        end as touch_medium,
        case
            when sessions.attribution.attribution_priority is null then '(direct)'
            else coalesce(sessions.attribution.traffic_campaign, '(not set)')
        end as touch_campaign
    from sessions
    where {{ ga4_date_window_condition('sessions.session_date', window) }}

)

select * from final
