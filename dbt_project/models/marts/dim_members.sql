with

members as (

    select * from {{ ref('stg_membership__members') }}

),

lifecycles as (

    select * from {{ ref('int_members_validated') }}

),

acquisition as (

    select * from {{ ref('int_members_acquired') }}

),

final as (

    select
        members.member_id,
        members.user_id,
        members.plan,
        members.plan_price,
        members.plan_price_amount,
        members.signup_at as signup_at_utc,
        members.first_paid_at as first_paid_at_utc,
        members.canceled_at as canceled_at_utc,
        members.signup_date,
        -- The lifecycle's dates: across the export history, not the latest row alone.
        lifecycles.first_paid_date,
        lifecycles.canceled_date,
        lifecycles.resubscribed_date,
        lifecycles.paying_spells,
        lifecycles.is_valid_lifecycle,
        lifecycles.has_paid,
        lifecycles.is_valid_payer,
        lifecycles.is_churned,
        lifecycles.is_converted_within_window,
        acquisition.first_user_source,
        acquisition.first_user_medium,
        acquisition.first_user_campaign,
        acquisition.first_user_channel_group
    from members
    inner join lifecycles
        on members.member_id = lifecycles.member_id
    inner join acquisition
        on members.member_id = acquisition.member_id

)

select * from final
