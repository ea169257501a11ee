{#-
    Revenue retention by first-payment cohort (docs/specification.md, "Revenue
    (MRR)"): one row per (cohort_month, months_since_first_payment) for every
    month of the spine from the cohort's own to the one holding the membership
    as-of date (the newest export's).
    A cohort is the valid payers whose first payment falls in its month (as in
    fct_retention_cohorts_monthly); their mrr comes from int_member_months_priced,
    so the figures add up with the MRR marts. Cost: cohort members x months, as
    for the retention cohorts.
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

member_months as (

    select * from {{ ref('int_member_months_priced') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

months as (

    -- A measured month past the newest export's as-of date has no cell: its
    -- retained members and mrr are unknown, not the last export's.
    select
        period_start as month_start,
        is_complete_period
    from periods
    where
        {{ period_grain_is('month') }}
        and {{ has_membership_data('period_start', 'membership_as_of_date') }}

),

payers as (

    select
        member_id,
        {{ month_start('first_paid_date') }} as cohort_month
    from members
    where is_valid_payer

),

cohort_cells as (

    -- Cohorts of the spine's months only: mrr exists for those months alone.
    select
        payers.member_id,
        payers.cohort_month,
        months.month_start,
        months.is_complete_period
    from payers
    inner join months as cohort_months
        on payers.cohort_month = cohort_months.month_start
    inner join months
        on payers.cohort_month <= months.month_start

),

member_cells as (

    select
        cohort_cells.member_id,
        cohort_cells.cohort_month,
        cohort_cells.month_start,
        cohort_cells.is_complete_period,
        member_months.member_id is not null as is_paying,
        coalesce(member_months.mrr, 0) as mrr
    from cohort_cells
    left join member_months
        on
            cohort_cells.member_id = member_months.member_id
            and cohort_cells.month_start = member_months.month_start

),

first_month_mrr as (

    select
        member_id,
        mrr as first_mrr
    from member_cells
    where month_start = cohort_month

),

capped_cells as (

    select
        member_cells.*,
        first_month_mrr.first_mrr,
        -- Gross retention never credits a member with more than they paid at first.
        least(member_cells.mrr, first_month_mrr.first_mrr) as capped_mrr
    from member_cells
    inner join first_month_mrr
        on member_cells.member_id = first_month_mrr.member_id

),

cells as (

    select
        cohort_month,
        month_start,
        is_complete_period,
        count(member_id) as cohort_members,
        count(case when is_paying then member_id end) as retained_members,
        sum(first_mrr) as cohort_mrr,
        sum(mrr) as mrr,
        sum(capped_mrr) as capped_mrr
    from capped_cells
    group by
        cohort_month,
        month_start,
        is_complete_period

),

final as (

    select
        cohort_month,
        cast(
            {{ dbt.datediff('cohort_month', 'month_start', 'month') | trim }}
            as {{ dbt.type_bigint() }}
        ) as months_since_first_payment,
        is_complete_period,
        cast(cohort_members as {{ dbt.type_bigint() }}) as cohort_members,
        cast(cohort_mrr as {{ type_double() }}) as cohort_mrr,
        cast(retained_members as {{ dbt.type_bigint() }}) as retained_members,
        cast(mrr as {{ type_double() }}) as mrr,
        {{ safe_ratio('mrr', 'cohort_mrr') }} as net_mrr_retention,
        {{ safe_ratio('capped_mrr', 'cohort_mrr') }} as gross_mrr_retention,
        cast(sum(mrr) over (
            partition by cohort_month
            order by month_start
            rows between unbounded preceding and current row
        ) as {{ type_double() }}) as cumulative_revenue
    from cells

)

select * from final
