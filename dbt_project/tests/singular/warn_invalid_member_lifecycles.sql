{#- A lifecycle is invalid when the cancellation date precedes the
    first payment date. Such members are left out of every paying metric; this
    test lists them as a warning so the source can be fixed. -#}
{{ config(severity='warn') }}

select
    member_id,
    first_paid_date,
    canceled_date
from {{ ref('int_members_validated') }}
where not is_valid_lifecycle
