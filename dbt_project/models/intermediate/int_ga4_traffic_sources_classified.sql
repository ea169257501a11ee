{#-
    One row per session date and session source / medium / campaign that
    int_ga4_sessions_attributed holds, with its session default channel group
    (macro ga4_default_channel_group, docs block metric_session_channel_group).

    Cost: the macro tests the source against the seed's lists in uncorrelated
    subqueries, so it runs once per distinct triple of a day rather than once
    per session (a day has far fewer triples than sessions). The rows are dated so that the model is
    incremental over the same window on session_date as the session models: a
    run reads only the window's sessions, and a triple a reprocessed day no
    longer has leaves with that day, as in a full refresh.
-#}
{{ config(**ga4_incremental_config(date_column='session_date')) }}

{%- set window = ga4_date_window('session_date') %}

with

attributed_sessions as (

    select * from {{ ref('int_ga4_sessions_attributed') }}
    where {{ ga4_date_window_condition('session_date', window) }}

),

traffic_sources as (

    select distinct
        session_date,
        session_source,
        session_medium,
        session_campaign
    from attributed_sessions

),

final as (

    select
        session_date,
        session_source,
        session_medium,
        session_campaign,
        {{ ga4_default_channel_group('session_source', 'session_medium', 'session_campaign') }}
            as session_channel_group
    from traffic_sources

)

select * from final
