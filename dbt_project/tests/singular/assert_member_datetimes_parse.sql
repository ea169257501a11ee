{#- Every non-empty datetime of the latest member rows must parse (docs/specification.md,
    "Membership exports"). Each failing row names the member, the column, the value and
    where it came from (file and line), so the fix can start from the summary. -#}
{{ config(severity='error') }}

with

members as (

    select * from {{ ref('stg_membership__members') }}

),

unparsed as (

    select
        member_id,
        'signup_at' as column_name,
        signup_at_text as raw_value,
        source_uri,
        source_row_number
    from members
    where signup_at_text is not null and signup_at is null

    union all

    select
        member_id,
        'first_paid_at' as column_name,
        first_paid_at_text as raw_value,
        source_uri,
        source_row_number
    from members
    where first_paid_at_text is not null and first_paid_at is null

    union all

    select
        member_id,
        'canceled_at' as column_name,
        canceled_at_text as raw_value,
        source_uri,
        source_row_number
    from members
    where canceled_at_text is not null and canceled_at is null

)

select * from unparsed
