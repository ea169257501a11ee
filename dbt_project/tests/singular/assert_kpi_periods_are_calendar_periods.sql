{#- The periods of the KPI marts are ISO weeks, Monday to Sunday, and calendar
    months, 1st to last day (docs blocks metric_period_start / _end), whatever
    a warehouse's own first day of the week. Checked by day counts from a known
    Monday (2024-01-01), not with the week_start / month_start macros the models
    use. Each failing row names the mart and the period. -#}

with

weeks as (

    select
        'fct_kpis_weekly' as mart,
        week_start as period_key,
        period_end
    from {{ ref('fct_kpis_weekly') }}
    where
        mod({{ dbt.datediff("cast('2024-01-01' as date)", 'week_start', 'day') | trim }}, 7) != 0
        or {{ dbt.datediff('week_start', 'period_end', 'day') | trim }} != 6

),

months as (

    select
        'fct_kpis_monthly' as mart,
        month_start as period_key,
        period_end
    from {{ ref('fct_kpis_monthly') }}
    where
        extract(day from month_start) != 1
        or {{ dbt.datediff('month_start', 'period_end', 'month') | trim }} != 0
        or extract(day from cast({{ dbt.dateadd('day', 1, 'period_end') | trim }} as date)) != 1

),

both_marts as (

    select * from weeks

    union all

    select * from months

)

select * from both_marts
