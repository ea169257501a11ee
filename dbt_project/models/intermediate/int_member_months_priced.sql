{#-
    mrr(member, m): one row per (member, month) in which a valid payer is paying
    at the month's last day (inside one of their paying spells of
    int_paying_spells_merged: start <= me and (no end or end > me)), with the plan
    and price of the member's state at that day (docs/specification.md,
    "Revenue (MRR)"; docs block metric_mrr).

    Months that start after the membership as-of date have no rows (the
    exports have not reached them); the month holding it keeps them.

    Cost: rows exist only for a payer's paying months, so the month join grows
    with payers x paying months, not members x months (a free member or a
    month after the cancellation contributes nothing and gets no row). The
    state is found without comparing every month with every export: each
    export row of a member is valid from its as-of date until the as-of date of
    the member's next export (an interval join on the member's few export rows),
    and the lagging-export rule reads one precomputed "next paid row" per row.
    Only the valid payers' export rows are ranked (a third of the members in the
    benchmark's data): the windows over them were most of the model's time.
-#}

with

members as (

    select * from {{ ref('int_members_validated') }}

),

spells as (

    select * from {{ ref('int_paying_spells_merged') }}

),

periods as (

    select * from {{ ref('int_periods_spined') }}

),

snapshots as (

    select * from {{ ref('stg_membership__member_snapshots') }}

),

plans as (

    select * from {{ ref('plans') }}

),

months as (

    -- After the newest export's as-of date nobody has seen a member's state:
    -- such a month has no member-months rather than the last state carried on.
    select
        period_start as month_start,
        period_end as month_end
    from periods
    where
        {{ period_grain_is('month') }}
        and {{ has_membership_data('period_start', 'membership_as_of_date') }}

),

paying_months as (

    -- Spells do not overlap, so a month end lies in at most one of a member's.
    select
        spells.member_id,
        months.month_start,
        months.month_end
    from spells
    inner join members
        on spells.member_id = members.member_id
    inner join months
        on
            spells.spell_start_date <= months.month_end
            and (spells.spell_end_date is null or spells.spell_end_date > months.month_end)
    where members.is_valid_payer

),

payers as (

    -- The only members with rows here: the windows below then rank the export
    -- rows of the valid payers alone, not of every member ever exported.
    select distinct spells.member_id
    from spells
    inner join members
        on spells.member_id = members.member_id
    where members.is_valid_payer

),

snapshot_plans as (

    select
        snapshots.member_id,
        snapshots.source_uri,
        snapshots.as_of_date,
        snapshots.plan,
        snapshots.plan_price_amount,
        plans.billing_months,
        plans.list_price,
        -- The exports' order: later last-modified time, then the greater URI.
        row_number() over (
            partition by snapshots.member_id
            order by snapshots.source_last_modified, snapshots.source_uri
        ) as export_rank
    from snapshots
    inner join payers
        on snapshots.member_id = payers.member_id
    left join plans
        on snapshots.plan = lower(trim(plans.plan))

),

snapshot_intervals as (

    select
        *,
        -- Rows sharing an as-of date get an empty interval but the last one.
        lead(as_of_date) over (
            partition by member_id order by export_rank
        ) as next_as_of_date,
        min(as_of_date) over (partition by member_id) as first_as_of_date,
        -- The lagging-export rule: the earliest row from here on with a paid plan.
        min(case when billing_months > 0 then export_rank end) over (
            partition by member_id
            order by export_rank
            rows between current row and unbounded following
        ) as paid_export_rank
    from snapshot_plans

),

month_states as (

    -- Before the member's first export, the state that export gives.
    select
        paying_months.member_id,
        paying_months.month_start,
        paying_months.month_end,
        snapshot_intervals.export_rank,
        snapshot_intervals.plan,
        snapshot_intervals.billing_months,
        snapshot_intervals.paid_export_rank
    from paying_months
    inner join snapshot_intervals
        on
            paying_months.member_id = snapshot_intervals.member_id
            and snapshot_intervals.as_of_date <= greatest(
                paying_months.month_end, snapshot_intervals.first_as_of_date
            )
            and (
                snapshot_intervals.next_as_of_date is null
                or snapshot_intervals.next_as_of_date > greatest(
                    paying_months.month_end, snapshot_intervals.first_as_of_date
                )
            )

),

supplying_rows as (

    -- A paying member whose state has a free or empty plan takes the earliest
    -- later export row with a paid plan, when there is one.
    select
        member_id,
        month_start,
        month_end,
        export_rank as state_export_rank,
        case
            when plan is null or billing_months = 0
                then coalesce(paid_export_rank, export_rank)
            else export_rank
        end as supplying_export_rank
    from month_states

),

priced as (

    select
        supplying_rows.member_id,
        supplying_rows.month_start,
        supplying_rows.month_end,
        snapshot_intervals.plan,
        snapshot_intervals.billing_months,
        -- plan_price when it is non-empty and parses, else the plan's list price.
        cast(
            coalesce(snapshot_intervals.plan_price_amount, snapshot_intervals.list_price)
            as {{ type_double() }}
        ) as price,
        snapshot_intervals.plan_price_amount is null as is_list_price,
        (
            supplying_rows.supplying_export_rank != supplying_rows.state_export_rank
        ) as is_from_later_export,
        snapshot_intervals.source_uri
    from supplying_rows
    inner join snapshot_intervals
        on
            supplying_rows.member_id = snapshot_intervals.member_id
            and supplying_rows.supplying_export_rank = snapshot_intervals.export_rank

),

final as (

    select
        *,
        -- Not rounded: the marts sum exact per-member amounts.
        case
            when billing_months > 0 then price / billing_months
            else cast(0 as {{ type_double() }})
        end as mrr
    from priced

)

select * from final
