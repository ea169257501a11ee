{#-
    One row per (member_id, month_start) where mrr(m-1) > 0 or mrr(m) > 0, with
    the movement from one to the other (docs block metric_mrr_movement). A
    member's months come from int_member_months_priced (paying months only);
    each is paired with the month before it, and the month after a member's
    last paying month is where a churn shows. Months are those of the spine:
    the mrr of the month before the first month is 0.
-#}

with

member_months as (

    select * from {{ ref('int_member_months_priced') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

months as (

    select period_start as month_start
    from periods
    where period_grain = 'month'

),

positive_months as (

    select
        member_id,
        month_start,
        plan,
        mrr
    from member_months
    where mrr > 0

),

month_sides as (

    -- Each positive month is the current side of its own month and the
    -- previous side of the next one.
    select
        member_id,
        month_start,
        plan as current_plan,
        cast(null as {{ dbt.type_string() }}) as previous_plan,
        mrr,
        cast(0 as {{ type_double() }}) as previous_mrr
    from positive_months

    union all

    select
        member_id,
        cast({{ dbt.dateadd('month', 1, 'month_start') | trim }} as date) as month_start,
        cast(null as {{ dbt.type_string() }}) as current_plan,
        plan as previous_plan,
        cast(0 as {{ type_double() }}) as mrr,
        mrr as previous_mrr
    from positive_months

),

paired as (

    select
        month_sides.member_id,
        month_sides.month_start,
        max(month_sides.current_plan) as current_plan,
        max(month_sides.previous_plan) as previous_plan,
        sum(month_sides.mrr) as mrr,
        sum(month_sides.previous_mrr) as previous_mrr
    from month_sides
    inner join months
        on month_sides.month_start = months.month_start
    group by
        month_sides.member_id,
        month_sides.month_start

),

final as (

    select
        member_id,
        month_start,
        -- The plan behind mrr, or for a churn the plan the member paid before.
        coalesce(current_plan, previous_plan) as plan,
        mrr,
        previous_mrr,
        case
            when previous_mrr = 0 then 'new'
            when mrr = 0 then 'churned'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'retained'
        end as movement
    from paired

)

select * from final
