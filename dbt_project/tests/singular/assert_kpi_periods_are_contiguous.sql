{#- The marts hold every period from the first to the one holding the as-of date,
    with zeros where nothing happened. A gap or a duplicate shows up as a
    difference between the rows a mart has and the periods its range spans. -#}

with

weeks as (

    select
        'fct_kpis_weekly' as mart,
        count(*) as period_rows,
        {{ dbt.datediff('min(week_start)', 'max(week_start)', 'day') | trim }} / 7
        + 1 as periods_spanned
    from {{ ref('fct_kpis_weekly') }}

),

months as (

    select
        'fct_kpis_monthly' as mart,
        count(*) as period_rows,
        {{ dbt.datediff('min(month_start)', 'max(month_start)', 'month') | trim }}
        + 1 as periods_spanned
    from {{ ref('fct_kpis_monthly') }}

),

both_marts as (

    select * from weeks

    union all

    select * from months

)

select *
from both_marts
where period_rows > 0 and period_rows != periods_spanned
