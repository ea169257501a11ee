{#- Which GA4 devices belong to which site user: one row per (user_id,
    user_pseudo_id) pair seen together on at least one event. A member's GA4
    identity is every user_pseudo_id paired with the member's user_id
    (int_members_acquired picks one). -#}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

pairs as (

    select
        user_id,
        user_pseudo_id,
        min(event_timestamp) as first_linked_at,
        count(*) as linked_event_count
    from events
    where
        user_id is not null
        and user_pseudo_id is not null
    group by
        user_id,
        user_pseudo_id

)

select * from pairs
