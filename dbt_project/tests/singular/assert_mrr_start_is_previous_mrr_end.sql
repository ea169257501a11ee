{#- Each month's mrr_start is the previous month's mrr_end (within 0.01; the
    first month starts at 0). A month past the membership as-of date has no
    mrr_start (null, as every figure there); a known mrr_start must follow a
    known mrr_end. A failing row names the month and both amounts. -#}

with

months as (

    select * from {{ ref('fct_mrr_monthly') }}

),

paired as (

    select
        month_start,
        mrr_start,
        lag(mrr_end, 1, cast(0 as {{ type_double() }})) over (
            order by month_start
        ) as previous_mrr_end
    from months

)

select *
from paired
where
    mrr_start is not null
    and not coalesce(abs(mrr_start - previous_mrr_end) <= 0.01, false)
