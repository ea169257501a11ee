{#- fct_channel_value_monthly summed over the channel groups gives, month by
    month, fct_kpis_monthly's new paying, reactivated and churned members and
    paying members at both ends, and fct_mrr_monthly's mrr_end (within 0.01). A
    failing row names the month and the figures that differ. -#}

with

channel_sums as (

    select
        month_start,
        sum(new_paying_members) as new_paying_members,
        sum(reactivated_members) as reactivated_members,
        sum(churned_members) as churned_members,
        sum(paying_members_start) as paying_members_start,
        sum(paying_members_end) as paying_members_end,
        sum(mrr_end) as mrr_end
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
    new_paying_members != channel_new_paying_members
    or reactivated_members != channel_reactivated_members
    or churned_members != channel_churned_members
    or paying_members_start != channel_paying_members_start
    or paying_members_end != channel_paying_members_end
    or abs(mrr_end - channel_mrr_end) > 0.01
