{#-
    Member lifecycle on reporting-zone dates (docs/specification.md, "Member
    lifecycle"). Validity is the latest export row's; a valid member's first
    payment and cancellation come from their paying spells across the export
    history (int_paying_spells_merged), so a resubscription keeps the first
    payment it followed.
-#}
{%- set conversion_window_days = var('conversion_window_days') | int -%}

with

members as (

    select * from {{ ref('stg_membership__members') }}

),

spells as (

    select * from {{ ref('int_paying_spells_merged') }}

),

spell_summaries as (

    select
        member_id,
        count(spell_number) as paying_spells,
        min(spell_start_date) as first_spell_start_date,
        max(spell_start_date) as latest_spell_start_date,
        -- Only the latest spell can be open, and spells do not overlap.
        case
            when count(spell_end_date) = count(spell_number) then max(spell_end_date)
        end as latest_spell_end_date
    from spells
    group by member_id

),

lifecycles as (

    select
        members.member_id,
        members.user_id,
        members.plan,
        members.signup_date,
        -- Invalid only when the latest row's cancellation precedes its first payment.
        coalesce(members.canceled_date >= members.first_paid_date, true) as is_valid_lifecycle,
        members.first_paid_date as row_first_paid_date,
        members.canceled_date as row_canceled_date,
        spell_summaries.member_id is not null as has_spells,
        coalesce(spell_summaries.paying_spells, 0) as paying_spells,
        spell_summaries.first_spell_start_date,
        spell_summaries.latest_spell_start_date,
        spell_summaries.latest_spell_end_date
    from members
    left join spell_summaries
        on members.member_id = spell_summaries.member_id

),

classified as (

    select
        member_id,
        user_id,
        plan,
        signup_date,
        is_valid_lifecycle,
        case
            when is_valid_lifecycle and has_spells then first_spell_start_date
            else row_first_paid_date
        end as first_paid_date,
        case
            when is_valid_lifecycle and has_spells then latest_spell_end_date
            else row_canceled_date
        end as canceled_date,
        case
            when is_valid_lifecycle and paying_spells > 1 then latest_spell_start_date
        end as resubscribed_date,
        case when is_valid_lifecycle then paying_spells else 0 end as paying_spells
    from lifecycles

),

final as (

    select
        member_id,
        user_id,
        plan,
        signup_date,
        first_paid_date,
        canceled_date,
        resubscribed_date,
        cast(paying_spells as {{ dbt.type_bigint() }}) as paying_spells,
        is_valid_lifecycle,
        first_paid_date is not null as has_paid,
        is_valid_lifecycle and first_paid_date is not null as is_valid_payer,
        (
            is_valid_lifecycle and first_paid_date is not null and canceled_date is not null
        ) as is_churned,
        coalesce(
            {{ dbt.datediff('signup_date', 'first_paid_date', 'day') | trim }}
            between 0 and {{ conversion_window_days }},
            false
        ) as is_converted_within_window
    from classified

)

select * from final
