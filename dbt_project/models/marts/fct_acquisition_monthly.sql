{#- One row per (calendar month, first-user channel group); the logic lives in
    int_acquisition_aggregated. -#}

with

acquisition as (

    select * from {{ ref('int_acquisition_aggregated') }}

),

final as (

    select
        period_start as month_start,
        channel_group,
        new_users,
        signups,
        new_paying_members,
        converted_signups,
        signup_rate,
        signup_to_paid_rate,
        is_signup_to_paid_rate_mature
    from acquisition
    where {{ period_grain_is('month') }}

)

select * from final
