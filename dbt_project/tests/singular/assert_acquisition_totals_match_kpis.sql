{#- Summed over channel groups, each acquisition mart's signups,
    new_paying_members, new_users and converted signups equal its KPI mart's for
    every period: every member and every new user falls in exactly one channel
    group. Returns the periods that disagree (converted signups are compared
    through signup_to_paid_rate's numerator, rate x signups, rounded). -#}

with

weekly_acquisition as (

    select
        week_start as period_start,
        sum(signups) as signups,
        sum(new_paying_members) as new_paying_members,
        sum(new_users) as new_users,
        sum(converted_signups) as converted_signups
    from {{ ref('fct_acquisition_weekly') }}
    group by week_start

),

monthly_acquisition as (

    select
        month_start as period_start,
        sum(signups) as signups,
        sum(new_paying_members) as new_paying_members,
        sum(new_users) as new_users,
        sum(converted_signups) as converted_signups
    from {{ ref('fct_acquisition_monthly') }}
    group by month_start

),

weekly_kpis as (

    select * from {{ ref('fct_kpis_weekly') }}

),

monthly_kpis as (

    select * from {{ ref('fct_kpis_monthly') }}

),

compared as (

    select
        'week' as period_grain,
        weekly_kpis.week_start as period_start,
        weekly_kpis.signups as kpi_signups,
        weekly_acquisition.signups as acquisition_signups,
        weekly_kpis.new_paying_members as kpi_new_paying_members,
        weekly_acquisition.new_paying_members as acquisition_new_paying_members,
        weekly_kpis.new_users as kpi_new_users,
        weekly_acquisition.new_users as acquisition_new_users,
        round(coalesce(weekly_kpis.signup_to_paid_rate, 0) * weekly_kpis.signups) as kpi_converted_signups,
        weekly_acquisition.converted_signups as acquisition_converted_signups
    from weekly_kpis
    full outer join weekly_acquisition
        on weekly_kpis.week_start = weekly_acquisition.period_start

    union all

    select
        'month' as period_grain,
        monthly_kpis.month_start as period_start,
        monthly_kpis.signups as kpi_signups,
        monthly_acquisition.signups as acquisition_signups,
        monthly_kpis.new_paying_members as kpi_new_paying_members,
        monthly_acquisition.new_paying_members as acquisition_new_paying_members,
        monthly_kpis.new_users as kpi_new_users,
        monthly_acquisition.new_users as acquisition_new_users,
        round(coalesce(monthly_kpis.signup_to_paid_rate, 0) * monthly_kpis.signups) as kpi_converted_signups,
        monthly_acquisition.converted_signups as acquisition_converted_signups
    from monthly_kpis
    full outer join monthly_acquisition
        on monthly_kpis.month_start = monthly_acquisition.period_start

),

mismatches as (

    select * from compared
    where
        coalesce(kpi_signups, -1) != coalesce(acquisition_signups, -1)
        or coalesce(kpi_new_paying_members, -1) != coalesce(acquisition_new_paying_members, -1)
        or coalesce(kpi_new_users, -1) != coalesce(acquisition_new_users, -1)
        or coalesce(kpi_converted_signups, -1) != coalesce(acquisition_converted_signups, -1)

)

select * from mismatches
