{#-
    The loader always creates the core columns (member_id, user_id, signup_at,
    plan, first_paid_at, canceled_at). The optional canonical column
    plan_price and the extra columns of var member_extra_columns exist only once
    some file carried them, so they are read with row_field_text, which gives
    null for a column the raw table does not have.

    A table (dbt_project.yml), not a view like the other staging models: two
    models and about ten tests read it, and as a view each of them would rank
    every row of every export and parse its datetimes again.
-#}
{%- set extra_columns = var('member_extra_columns') or [] -%}
{%- set canonical_columns = [
    'member_id', 'user_id', 'signup_at', 'plan', 'first_paid_at', 'canceled_at', 'plan_price',
] -%}
{%- for column in extra_columns -%}
    {%- if column in canonical_columns -%}
        {{ exceptions.raise_compiler_error(
            "var member_extra_columns lists '" ~ column ~ "', a canonical column that "
            ~ "stg_membership__members already has; remove it from the var."
        ) }}
    {%- endif -%}
    {%- if column is not string or not modules.re.match('^\\w+$', column) -%}
        {{ exceptions.raise_compiler_error(
            "var member_extra_columns: '" ~ column ~ "' is not a raw column name. List the "
            ~ "columns as the loader names them (snake_case, e.g. signup_channel), "
            ~ "e.g. --vars '{member_extra_columns: [country, signup_channel]}'."
        ) }}
    {%- endif -%}
{%- endfor -%}
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
        nullif(trim({{ row_field_text('latest_rows', 'plan_price') }}), '') as plan_price_text,
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
        plan_price_text as plan_price,
        -- Thousands separators are allowed; any other text gives null, which
        -- warn_unparsed_plan_prices lists.
        {{ try_cast(
            "trim(replace(plan_price_text, ',', ''))",
            dbt.type_numeric(),
        ) }} as plan_price_amount,
        {% for column in extra_columns %}
            {{ column }}_text as {{ column }},
        {% endfor %}
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
