{#-
    A member's paying spells, read from the whole export history rather than
    the latest row (docs/specification.md, "Member lifecycle", resubscription):
    one row per (member, spell), numbered from the first.

    Every export row with a first payment names a spell by that first paid
    date; the spell's cancellation is the one in the latest row naming the same
    first payment, so a cancellation a later export clears was withdrawn, and a
    later first payment is a new spell beside the old one. A spell canceled
    before its first payment is left out. Spells that overlap or touch merge:
    paying on day d means start <= d < end, so a spell starting on the day
    another ends continues it. Every member's spells are here; the paying
    metrics keep those of members with a valid lifecycle (int_members_validated).
-#}

with

snapshots as (

    select * from {{ ref('stg_membership__member_snapshots') }}

),

spell_rows as (

    select
        member_id,
        first_paid_date,
        canceled_date,
        -- The exports' order: later last-modified time, then the greater URI.
        row_number() over (
            partition by member_id, first_paid_date
            order by source_last_modified desc, source_uri desc
        ) as recency_rank
    from snapshots
    where first_paid_date is not null

),

spells as (

    select
        member_id,
        first_paid_date as start_date,
        -- An open spell sorts after every real date while merging.
        coalesce(canceled_date, cast('9999-12-31' as date)) as end_date
    from spell_rows
    where
        recency_rank = 1
        and coalesce(canceled_date >= first_paid_date, true)

),

spells_with_previous_end as (

    select
        member_id,
        start_date,
        end_date,
        max(end_date) over (
            partition by member_id
            order by start_date
            rows between unbounded preceding and 1 preceding
        ) as previous_end_date
    from spells

),

spells_numbered as (

    select
        member_id,
        start_date,
        end_date,
        -- A spell starting after every earlier one ended begins a new merged spell.
        sum(
            case
                when previous_end_date is null or start_date > previous_end_date then 1
                else 0
            end
        ) over (
            partition by member_id
            order by start_date
            rows between unbounded preceding and current row
        ) as spell_number
    from spells_with_previous_end

),

merged as (

    select
        member_id,
        spell_number,
        min(start_date) as spell_start_date,
        max(end_date) as spell_end_date
    from spells_numbered
    group by
        member_id,
        spell_number

),

final as (

    select
        member_id,
        cast(spell_number as {{ dbt.type_bigint() }}) as spell_number,
        spell_start_date,
        case
            when spell_end_date < cast('9999-12-31' as date) then spell_end_date
        end as spell_end_date
    from merged

)

select * from final
