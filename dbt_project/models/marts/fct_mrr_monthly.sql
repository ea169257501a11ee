{#- One row per month; the MRR logic and ratios live in int_mrr_aggregated. -#}

with

mrr as (

    select * from {{ ref('int_mrr_aggregated') }}

),

final as (

    select
        month_start,
        is_complete_period,
        mrr_start,
        new_mrr,
        expansion_mrr,
        reactivation_mrr,
        contraction_mrr,
        churned_mrr,
        mrr_end,
        paying_members_end,
        arppu,
        gross_mrr_churn_rate,
        net_mrr_retention,
        quick_ratio
    from mrr

)

select * from final
