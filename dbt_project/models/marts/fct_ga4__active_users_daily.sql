{#- GA4 active users per day with GA4's rolling windows (DESIGN.md): every day
    from the first to the last GA4 event date, zeros included. A table rebuilt in
    full: it reads the small per-user-day model, and each day needs the 27 days
    before it anyway. -#}
with user_days as (
    select * from {{ ref('int_ga4_user_days_aggregated') }}
),

bounds as (
    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from user_days
),

calendar as (
    {{ date_series('first_date', 'last_date', 'bounds') }}
),

active_user_days as (
    select
        event_date,
        user_pseudo_id
    from user_days
    where is_active
),

rolling as (
    select
        calendar.date_day as event_date,
        count(distinct case
            when active_user_days.event_date = calendar.date_day
                then active_user_days.user_pseudo_id
        end) as dau,
        count(distinct case
            when active_user_days.event_date >= {{ ga4_days_before('calendar.date_day', 6) }}
                then active_user_days.user_pseudo_id
        end) as wau_7d,
        count(distinct active_user_days.user_pseudo_id) as mau_28d
    from calendar
    left join active_user_days
        on
            calendar.date_day >= active_user_days.event_date
            and {{ ga4_days_before('calendar.date_day', 27) }} <= active_user_days.event_date
    group by calendar.date_day
)

select
    event_date,
    dau,
    wau_7d,
    mau_28d,
    {{ safe_ratio('dau', 'mau_28d') }} as stickiness
from rolling
