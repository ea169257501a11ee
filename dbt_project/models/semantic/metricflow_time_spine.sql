{#-
    MetricFlow's day spine, bounded so that its weeks and months are exactly the
    rows of the KPI marts (int_periods_spined): from the later of the first
    week's and the first month's first day (both hold the first date with data)
    to the as-of date. A metric filled with zeros or carried forward
    (cumulative) then has a row for every period of the marts and none beyond
    them; a period's last value is the one on its last day, or on the as-of
    date for the period still running.
-#}

with

periods as (

    select * from {{ ref('int_periods_spined') }}

),

grain_bounds as (

    select
        period_grain,
        min(period_start) as first_period_start,
        max(as_of_date) as as_of_date
    from periods
    group by period_grain

),

bounds as (

    select
        max(first_period_start) as first_date,
        max(as_of_date) as last_date
    from grain_bounds

),

days as (

    {{ date_series('first_date', 'last_date', 'bounds') }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
