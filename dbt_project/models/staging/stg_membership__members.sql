{#-
    The loader always writes the canonical columns (member_id, user_id,
    signup_at, plan, first_paid_at, canceled_at); other CSV columns exist only
    once some file carried them, so they are read with row_field_text, which
    gives null for a column the raw table does not have.
-#}
{%- set extra_columns = ['plan_price_krw', 'country'] -%}
{%- set source_timezone = var('source_timezone') -%}
{%- set reporting_timezone = var('reporting_timezone') -%}

with

source_rows as (

    select * from {{ source('membership', 'membership') }}

),

latest_rows as (

    select
        *,
        row_number() over (
            partition by trim(member_id)
            order by
                _source_last_modified desc,
                _source_uri desc,
                _source_row_number desc
        ) as recency_rank
    from source_rows
    where nullif(trim(member_id), '') is not null

),

cleaned as (

    select
        trim(member_id) as member_id,
        nullif(trim(user_id), '') as user_id_text,
        nullif(trim(plan), '') as plan_text,
        {% for column in extra_columns %}
            nullif(trim({{ row_field_text('latest_rows', column) }}), '') as {{ column }}_text,
        {% endfor %}
        nullif(trim(signup_at), '') as signup_at_text,
        nullif(trim(first_paid_at), '') as first_paid_at_text,
        nullif(trim(canceled_at), '') as canceled_at_text,
        _source_uri,
        _source_last_modified,
        _source_row_number,
        _loaded_at
    from latest_rows
    where recency_rank = 1

),

parsed as (

    select
        *,
        {{ parse_member_datetime('signup_at_text', source_timezone) }} as signup_at,
        {{ parse_member_datetime('first_paid_at_text', source_timezone) }} as first_paid_at,
        {{ parse_member_datetime('canceled_at_text', source_timezone) }} as canceled_at
    from cleaned

),

final as (

    select
        member_id,
        user_id_text as user_id,
        lower(plan_text) as plan,
        {{ dbt.safe_cast(
            "replace(plan_price_krw_text, ',', '')",
            dbt.type_bigint(),
        ) }} as plan_price_krw,
        country_text as country,
        signup_at,
        first_paid_at,
        canceled_at,
        {{ to_local_date('signup_at', reporting_timezone) }} as signup_date,
        {{ to_local_date('first_paid_at', reporting_timezone) }} as first_paid_date,
        {{ to_local_date('canceled_at', reporting_timezone) }} as canceled_date,
        signup_at_text,
        first_paid_at_text,
        canceled_at_text,
        _source_uri as source_uri,
        _source_last_modified as source_last_modified,
        _source_row_number as source_row_number,
        _loaded_at as loaded_at
    from parsed

)

select * from final
