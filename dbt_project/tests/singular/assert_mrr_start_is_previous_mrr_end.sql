{#- Each month's mrr_start is the previous month's mrr_end (within 0.01; the
    first month starts at 0). A failing row names the month and both amounts. -#}

with

months as (

    select * from {{ ref('fct_mrr_monthly') }}

),

paired as (

    select
        month_start,
        mrr_start,
        coalesce(lag(mrr_end) over (order by month_start), 0) as previous_mrr_end
    from months

)

select *
from paired
where abs(mrr_start - previous_mrr_end) > 0.01
