{#- The health of the GA4 daily export, one row per calendar day from the first to
    the latest daily table (docs/specification.md, "Export health"): whether the
    day's table exists, what it holds against the days before it, and when it
    landed. A missing day or a short one otherwise reads as a real dip in every
    active-user figure; this model is what the warn-level tests, the run summary,
    the report and the active users' flags read.

    The trailing median is computed from each day's earlier days by rank
    (row_number against the count), not with a median function: BigQuery's
    PERCENTILE_CONT takes no window frame and DuckDB's MEDIAN is not BigQuery's,
    and a 28-day self-join of a few hundred daily rows is cheap. -#}

{%- set short_day_percent = var('ga4_export_short_day_percent') -%}
{%- set baseline_min_days = var('ga4_export_baseline_min_days') -%}
{%- set daily_event_cap = var('ga4_export_daily_event_cap') -%}

with

daily_tables as (

    select * from {{ ga4_daily_tables() }} as daily_tables

),

event_counts as (

    -- Per day, kept incrementally: this table is rebuilt whole on every run
    -- (a few rows a day), the event history is not read again.
    select
        event_date,
        event_count,
        user_count
    from {{ ref('int_ga4_days_aggregated') }}

),

bounds as (

    select
        min(table_date) as first_date,
        max(table_date) as last_date
    from daily_tables

),

calendar as (

    {{ date_series('first_date', 'last_date', 'bounds') }}

),

export_days as (

    select
        calendar.date_day as export_date,
        daily_tables.table_date is not null as has_daily_table,
        case
            when daily_tables.table_date is not null then coalesce(event_counts.event_count, 0)
        end as event_count,
        case
            when daily_tables.table_date is not null then coalesce(event_counts.user_count, 0)
        end as user_count,
        daily_tables.table_created_at_utc,
        daily_tables.table_modified_at_utc
    from calendar
    left join daily_tables
        on calendar.date_day = daily_tables.table_date
    left join event_counts
        on calendar.date_day = event_counts.event_date

),

earlier_days as (

    select
        export_days.export_date,
        earlier.event_count as earlier_event_count
    from export_days
    inner join export_days as earlier
        on
            export_days.export_date > earlier.export_date
            and export_days.export_date <= {{ ga4_days_after('earlier.export_date', 28) }}
            and earlier.has_daily_table

),

earlier_days_ranked as (

    select
        export_date,
        earlier_event_count,
        row_number() over (
            partition by export_date
            order by earlier_event_count
        ) as earlier_rank,
        count(*) over (partition by export_date) as baseline_days
    from earlier_days

),

trailing_medians as (

    -- The middle value (odd count) or the two middle values (even count):
    -- ranks r with n <= 2r <= n + 2.
    select
        export_date,
        max(baseline_days) as baseline_days,
        avg(earlier_event_count) as trailing_median_event_count
    from earlier_days_ranked
    where 2 * earlier_rank between baseline_days and baseline_days + 2
    group by export_date

),

compared as (

    select
        export_days.*,
        coalesce(trailing_medians.baseline_days, 0) as baseline_days,
        case
            when trailing_medians.baseline_days >= {{ baseline_min_days }}
                then trailing_medians.trailing_median_event_count
        end as trailing_median_event_count
    from export_days
    left join trailing_medians
        on export_days.export_date = trailing_medians.export_date

),

flagged as (

    select
        export_date,
        has_daily_table,
        event_count,
        user_count,
        cast(baseline_days as {{ dbt.type_bigint() }}) as baseline_days,
        cast(trailing_median_event_count as {{ type_double() }}) as trailing_median_event_count,
        {{ safe_ratio('event_count', 'trailing_median_event_count') }}
            as event_ratio_to_trailing_median,
        not has_daily_table as is_missing_day,
        coalesce(
            event_count < trailing_median_event_count * {{ short_day_percent }} / 100.0,
            false
        ) as is_short_day,
        coalesce(event_count >= {{ daily_event_cap }}, false) as is_at_daily_cap,
        table_created_at_utc,
        table_modified_at_utc,
        {{ dbt.datediff(
            local_midnight_utc(ga4_days_after('export_date', 1), var('reporting_timezone')),
            'table_created_at_utc',
            'hour'
        ) }} as hours_after_day_end,
        {{ dbt.datediff('table_created_at_utc', 'table_modified_at_utc', 'minute') }}
            as minutes_from_creation_to_last_write
    from compared

),

final as (

    select
        export_date,
        has_daily_table,
        event_count,
        user_count,
        baseline_days,
        trailing_median_event_count,
        event_ratio_to_trailing_median,
        is_missing_day,
        is_short_day,
        is_at_daily_cap,
        is_missing_day or is_short_day or is_at_daily_cap as is_incomplete_day,
        table_created_at_utc,
        table_modified_at_utc,
        hours_after_day_end,
        minutes_from_creation_to_last_write >= 60 as is_restated
    from flagged

)

select * from final
