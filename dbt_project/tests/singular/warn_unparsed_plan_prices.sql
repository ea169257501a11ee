{#- A non-empty plan_price must be a number (thousands separators allowed).
    One that is not comes out of staging as a null plan_price_amount, which
    reads as "the plan's list price" (in dim_members and in the MRR of every
    month whose state that row gives); this test lists each such row of every
    export, as a warning, so the export can be fixed. -#}
{{ config(severity='warn') }}

select
    member_id,
    plan_price,
    source_uri,
    source_row_number
from {{ ref('stg_membership__member_snapshots') }}
where plan_price is not null and plan_price_amount is null
