{#-
    One row per (member_id, month_start) where mrr(m-1) > 0 or mrr(m) > 0, with
    the movement from one to the other (docs block metric_mrr_movement). A
    member's months come from int_member_months_priced (paying months only);
    each is paired with the month before it, and the month after a member's
    last paying month is where a churn shows. Months are those of the spine
    up to the one holding the membership as-of date: the mrr of the month
    before the first month is 0, and no month after the exports has a row.
    A rise from 0 is new in the member's first month with a positive mrr and
    a reactivation in any later one (docs block metric_mrr_movement).
-#}

with

member_months as (

    select * from {{ ref('int_member_months_priced') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

months as (

    -- The months the exports cover: past them a paying member's mrr is
    -- unknown, not 0, so the next month shows no churn.
    select period_start as month_start
    from periods
    where
        {{ period_grain_is('month') }}
        and {{ has_membership_data('period_start', 'membership_as_of_date') }}

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

first_positive_months as (

    select
        member_id,
        min(month_start) as first_positive_month
    from positive_months
    group by member_id

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
        paired.member_id,
        paired.month_start,
        -- The plan behind mrr, or for a churn the plan the member paid before.
        coalesce(paired.current_plan, paired.previous_plan) as plan,
        paired.mrr,
        paired.previous_mrr,
        case
            when
                paired.previous_mrr = 0
                and paired.month_start = first_positive_months.first_positive_month
                then 'new'
            when paired.previous_mrr = 0 then 'reactivation'
            when paired.mrr = 0 then 'churned'
            when paired.mrr > paired.previous_mrr then 'expansion'
            when paired.mrr < paired.previous_mrr then 'contraction'
            else 'retained'
        end as movement
    from paired
    inner join first_positive_months
        on paired.member_id = first_positive_months.member_id

)

select * from final
