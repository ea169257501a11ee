{#- Which GA4 devices belong to which site user: one row per (user_id,
    user_pseudo_id) pair seen together on at least one event. A member's GA4
    identity is every user_pseudo_id paired with the member's user_id
    (int_members_acquired picks one).

    Added up from int_ga4_user_id_days_aggregated, the pairs of each day, which
    the incremental GA4 runs keep up to date: a few rows per logged-in
    device-day instead of every event. -#}

with

pair_days as (

    select * from {{ ref('int_ga4_user_id_days_aggregated') }}

),

pairs as (

    select
        user_id,
        user_pseudo_id,
        min(first_linked_at) as first_linked_at,
        -- Cast back: DuckDB widens a sum of integers to hugeint.
        cast(sum(linked_event_count) as {{ dbt.type_bigint() }}) as linked_event_count
    from pair_days
    group by
        user_id,
        user_pseudo_id

)

select * from pairs
