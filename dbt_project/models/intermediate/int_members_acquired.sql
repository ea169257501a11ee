{#- Each member's first-user acquisition (docs block
    metric_first_user_channel_group): of the GA4 devices seen with the member's
    user_id, the earliest one (smallest user_first_touch_timestamp, then
    earliest first event, then smallest user_pseudo_id) gives its first-user
    source, medium, campaign and channel group. A member with no user_id or no
    such device gets '(not linked)' in all four; when GA4 is not configured,
    all four and is_ga4_linked are null. One row per member. -#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

user_ids as (

    select * from {{ ga4_ref('int_ga4_user_ids_mapped', {
        'user_id': dbt.type_string(),
        'user_pseudo_id': dbt.type_string(),
    }) }}

),

devices as (

    select * from {{ ga4_ref('int_ga4_users_acquired', {
        'user_pseudo_id': dbt.type_string(),
        'first_touch_timestamp': dbt.type_bigint(),
        'first_event_at': dbt.type_timestamp(),
        'first_user_source': dbt.type_string(),
        'first_user_medium': dbt.type_string(),
        'first_user_campaign': dbt.type_string(),
        'first_user_channel_group': dbt.type_string(),
    }) }}

),

member_devices as (

    select
        members.member_id,
        devices.user_pseudo_id,
        devices.first_user_source,
        devices.first_user_medium,
        devices.first_user_campaign,
        devices.first_user_channel_group,
        row_number() over (
            partition by members.member_id
            order by
                -- A device without a first-touch time sorts after every other.
                coalesce(devices.first_touch_timestamp, 9223372036854775807),
                devices.first_event_at,
                devices.user_pseudo_id
        ) as device_rank
    from members
    inner join user_ids
        on members.user_id = user_ids.user_id
    inner join devices
        on user_ids.user_pseudo_id = devices.user_pseudo_id

),

first_devices as (

    select * from member_devices
    where device_rank = 1

),

final as (

    select
        members.member_id,
        first_devices.user_pseudo_id,
        case
            when {{ ga4_configured() }} then first_devices.user_pseudo_id is not null
        end as is_ga4_linked,
        case
            when not {{ ga4_configured() }} then null
            when first_devices.user_pseudo_id is null then '(not linked)'
            else first_devices.first_user_source
        end as first_user_source,
        case
            when not {{ ga4_configured() }} then null
            when first_devices.user_pseudo_id is null then '(not linked)'
            else first_devices.first_user_medium
        end as first_user_medium,
        case
            when not {{ ga4_configured() }} then null
            when first_devices.user_pseudo_id is null then '(not linked)'
            else first_devices.first_user_campaign
        end as first_user_campaign,
        case
            when {{ ga4_configured() }}
                then coalesce(first_devices.first_user_channel_group, '(not linked)')
        end as first_user_channel_group
    from members
    left join first_devices
        on members.member_id = first_devices.member_id

)

select * from final
