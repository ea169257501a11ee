{#- One row per (member, month) where the member's MRR is or was positive; the
    logic lives in int_mrr_movements_classified. -#}
{{ config(**monthly_partition_config('month_start')) }}

with

movements as (

    select * from {{ ref('int_mrr_movements_classified') }}

),

final as (

    select
        member_id,
        month_start,
        plan,
        mrr,
        previous_mrr,
        movement
    from movements

)

select * from final
