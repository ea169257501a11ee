{#- One row per week; the metric logic lives in int_kpis_aggregated. -#}

with

kpis as (

    select * from {{ ref('int_kpis_aggregated') }}

),

final as (

    select
        period_start as week_start,
        period_start,
        period_end,
        is_complete_period,
        membership_as_of_date,
        ga4_as_of_date,
        is_membership_partial,
        is_ga4_partial,
        signups,
        new_paying_members,
        reactivated_members,
        paying_members_start,
        paying_members_end,
        churned_members,
        churned_from_start_members,
        churn_rate,
        active_users,
        new_users,
        signup_conversion_rate,
        signup_to_paid_rate,
        is_signup_to_paid_rate_mature
    from kpis
    where {{ period_grain_is('week') }}

)

select * from final
