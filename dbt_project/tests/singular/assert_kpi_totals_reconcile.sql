{#- Weeks and months partition the same days, so over the whole range the
    weekly and monthly marts must add up to the same signups, new paying members,
    reactivated members and churned members, and those to the member table's own
    counts: every paying spell after a member's first is a reactivation, and
    every spell but a still open one ended in a churn. A member dated outside
    the spine, or counted twice, breaks the equality. -#}

with

weekly as (

    select
        sum(signups) as signups,
        sum(new_paying_members) as new_paying_members,
        sum(reactivated_members) as reactivated_members,
        sum(churned_members) as churned_members
    from {{ ref('fct_kpis_weekly') }}

),

monthly as (

    select
        sum(signups) as signups,
        sum(new_paying_members) as new_paying_members,
        sum(reactivated_members) as reactivated_members,
        sum(churned_members) as churned_members
    from {{ ref('fct_kpis_monthly') }}

),

members as (

    select
        count(signup_date) as signups,
        count(case when is_valid_payer then member_id end) as new_paying_members,
        sum(paying_spells) - count(case when is_valid_payer then member_id end) as reactivated_members,
        sum(paying_spells)
        - count(case when is_valid_payer and canceled_date is null then member_id end) as churned_members
    from {{ ref('dim_members') }}

),

totals as (

    select
        'weekly' as source_name,
        signups,
        new_paying_members,
        reactivated_members,
        churned_members
    from weekly

    union all

    select
        'monthly' as source_name,
        signups,
        new_paying_members,
        reactivated_members,
        churned_members
    from monthly

)

select
    totals.source_name,
    totals.signups,
    members.signups as member_signups,
    totals.new_paying_members,
    members.new_paying_members as member_new_paying_members,
    totals.reactivated_members,
    members.reactivated_members as member_reactivated_members,
    totals.churned_members,
    members.churned_members as member_churned_members
from totals
cross join members
where
    coalesce(totals.signups, 0) != members.signups
    or coalesce(totals.new_paying_members, 0) != members.new_paying_members
    or coalesce(totals.reactivated_members, 0) != members.reactivated_members
    or coalesce(totals.churned_members, 0) != members.churned_members
