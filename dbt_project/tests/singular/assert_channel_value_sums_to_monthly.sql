{#- fct_channel_value_monthly summed over the channel groups gives, month by
    month, fct_kpis_monthly's new paying, reactivated and churned members and
    paying members at both ends, and fct_mrr_monthly's mrr_end (within 0.01).
    In a month past the membership as-of date (fct_kpis_monthly's figures
    null) fct_mrr_monthly's mrr_end and every group's figures are null too.
    A failing row names the month and the figures that differ. -#}

with

channel_sums as (

    select
        month_start,
        sum(new_paying_members) as new_paying_members,
        sum(reactivated_members) as reactivated_members,
        sum(churned_members) as churned_members,
        sum(paying_members_start) as paying_members_start,
        sum(paying_members_end) as paying_members_end,
        sum(mrr_end) as mrr_end,
        -- Groups with any figure known.
        count(
            coalesce(
                new_paying_members, reactivated_members, churned_members,
                paying_members_start, paying_members_end, mrr_end
            )
        ) as known_groups
    from {{ ref('fct_channel_value_monthly') }}
    group by month_start

),

kpis as (

    select * from {{ ref('fct_kpis_monthly') }}

),

mrr as (

    select * from {{ ref('fct_mrr_monthly') }}

),

compared as (

    select
        kpis.month_start,
        kpis.paying_members_end is null as is_unknown,
        coalesce(channel_sums.known_groups, 0) as known_groups,
        kpis.new_paying_members,
        coalesce(channel_sums.new_paying_members, 0) as channel_new_paying_members,
        kpis.reactivated_members,
        coalesce(channel_sums.reactivated_members, 0) as channel_reactivated_members,
        kpis.churned_members,
        coalesce(channel_sums.churned_members, 0) as channel_churned_members,
        kpis.paying_members_start,
        coalesce(channel_sums.paying_members_start, 0) as channel_paying_members_start,
        kpis.paying_members_end,
        coalesce(channel_sums.paying_members_end, 0) as channel_paying_members_end,
        mrr.mrr_end,
        coalesce(channel_sums.mrr_end, 0) as channel_mrr_end
    from kpis
    inner join mrr
        on kpis.month_start = mrr.month_start
    left join channel_sums
        on kpis.month_start = channel_sums.month_start

)

select *
from compared
where
    (is_unknown and (known_groups > 0 or mrr_end is not null))
    or (
        not is_unknown
        and not coalesce(
            new_paying_members = channel_new_paying_members
            and reactivated_members = channel_reactivated_members
            and churned_members = channel_churned_members
            and paying_members_start = channel_paying_members_start
            and paying_members_end = channel_paying_members_end
            and abs(mrr_end - channel_mrr_end) <= 0.01,
            false
        )
    )
