{#-
    One row per GA4 session (int_ga4_sessions_touched) with GA4's session-scoped
    source / medium / campaign, the same meaning in every vintage of the export
    (docs block metric_session_source), and the rule that gave them
    (attribution_basis):
    - where the export has session_traffic_source_last_click (mid-2024 on), its
      answer;
    - else the session's own touch when it is not direct;
    - else, for a direct session, the touch of the same device's latest earlier
      non-direct session at most ga4_session_lookback_days days before (last
      non-direct click, as GA4's Traffic acquisition report credits a returning
      visitor who types the address), else direct.

    Cost: a run reads the window's sessions and the lookback's days before it
    from int_ga4_sessions_touched (partitioned by session_date), never the
    events. An earlier session's touch never changes once its days are out of
    the reprocessing window, so an incremental run gives what a full refresh
    gives.
-#}
{{ config(**ga4_incremental_config(cluster_by=['user_pseudo_id'],
    date_column='session_date')) }}

{%- set window = ga4_date_window('session_date') %}
{%- set lookback = ga4_session_lookback_days() %}
{%- set earlier_sessions = 'over (partition by stream_id, user_pseudo_id'
    ~ ' order by session_start_at, ga_session_id rows between unbounded preceding and 1 preceding)' %}
{%- set read_window = {
    'start': none if window.start is none
        else (modules.datetime.date.fromisoformat(window.start) - modules.datetime.timedelta(days=lookback)).isoformat(),
    'end': window.end,
} %}

with

touched_sessions as (

    select * from {{ ref('int_ga4_sessions_touched') }}
    where {{ ga4_date_window_condition('session_date', read_window) }}

),

earlier_clicks as (

    -- Each session with the device's latest earlier non-direct touch. A
    -- non-direct touch has every part set ((not set) where the export left one
    -- empty), so the four ignore-nulls windows pick the same session.
    select
        *,
        last_value(case when touch_source != '(direct)' then session_date end ignore nulls)
            {{ earlier_sessions }} as previous_click_session_date,
        last_value(case when touch_source != '(direct)' then touch_source end ignore nulls)
            {{ earlier_sessions }} as previous_click_source,
        last_value(case when touch_source != '(direct)' then touch_medium end ignore nulls)
            {{ earlier_sessions }} as previous_click_medium,
        last_value(case when touch_source != '(direct)' then touch_campaign end ignore nulls)
            {{ earlier_sessions }} as previous_click_campaign
    from touched_sessions

),

credited as (

    select
        *,
        touch_basis != 'session_last_click'
        and touch_source = '(direct)'
        and previous_click_session_date >= {{ ga4_days_before('session_date', lookback) }}
            as is_credited_to_earlier_session
    from earlier_clicks

),

final as (

    select
        stream_id,
        user_pseudo_id,
        ga_session_id,
        session_date,
        session_start_at,
        session_number,
        user_id,
        landing_page_location,
        country,
        case when is_credited_to_earlier_session then 'earlier_session' else touch_basis end
            as attribution_basis,
        case when is_credited_to_earlier_session then previous_click_source else touch_source end
            as session_source,
        case when is_credited_to_earlier_session then previous_click_medium else touch_medium end
            as session_medium,
        case
            when is_credited_to_earlier_session then previous_click_campaign else touch_campaign
        end as session_campaign,
        touch_basis,
        touch_source,
        touch_medium,
        touch_campaign,
        has_session_engaged_flag,
        engagement_time_msec,
        page_views,
        event_count,
        has_sign_up,
        has_purchase
    from credited
    where {{ ga4_date_window_condition('session_date', window) }}

)

select * from final
