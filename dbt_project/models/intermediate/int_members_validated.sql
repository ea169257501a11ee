{#- Member lifecycle on reporting-zone dates (docs/specification.md, "Member lifecycle"). -#}
{%- set conversion_window_days = var('conversion_window_days') | int -%}

with

members as (

    select * from {{ ref('stg_membership__members') }}

),

classified as (

    select
        member_id,
        user_id,
        plan,
        signup_date,
        first_paid_date,
        canceled_date,
        -- Invalid only when the cancellation precedes the first payment.
        coalesce(canceled_date >= first_paid_date, true) as is_valid_lifecycle,
        first_paid_date is not null as has_paid,
        {{ dbt.datediff('signup_date', 'first_paid_date', 'day') | trim }} as days_to_first_payment
    from members

),

final as (

    select
        member_id,
        user_id,
        plan,
        signup_date,
        first_paid_date,
        canceled_date,
        is_valid_lifecycle,
        has_paid,
        is_valid_lifecycle and has_paid as is_valid_payer,
        is_valid_lifecycle and has_paid and canceled_date is not null as is_churned,
        coalesce(
            days_to_first_payment between 0 and {{ conversion_window_days }},
            false
        ) as is_converted_within_window
    from classified

)

select * from final
