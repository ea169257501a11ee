{#- Every plan an export carries (trimmed, lowercased) must be a row of
    seeds/plans.csv: without its billing interval and list price the plan's
    MRR cannot be computed. Each failing row names the plan, how many export
    rows carry it and one object that does; add the plan to seeds/plans.csv.
    Only the revenue models depend on both of this test's inputs, so only they
    wait for the fix. -#}
{{ config(severity='error') }}

with

snapshots as (

    select * from {{ ref('stg_membership__member_snapshots') }}

),

plans as (

    select * from {{ ref('plans') }}

),

unknown_plans as (

    select
        snapshots.plan,
        count(*) as export_rows,
        max(snapshots.source_uri) as example_source_uri
    from snapshots
    left join plans
        on snapshots.plan = lower(trim(plans.plan))
    where snapshots.plan is not null and plans.plan is null
    group by snapshots.plan

)

select * from unknown_plans
