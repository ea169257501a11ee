{#-
    Optional raw columns: the loader adds a column when a file first carries it,
    so user_id, plan, first_paid_at, canceled_at and extras such as plan_price_krw
    or country may be missing from raw.membership. Missing ones become nulls here.
    Without a database to ask (parsing, unit tests) assume all of them exist.
-#}
{%- set optional_columns = [
    'user_id', 'plan', 'first_paid_at', 'canceled_at', 'plan_price_krw', 'country',
] -%}
{%- set raw_relation = source('membership', 'membership') -%}
{%- set present_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(raw_relation) -%}
        {%- do present_columns.append(column.name | lower) -%}
    {%- endfor -%}
{%- endif -%}
{%- if present_columns | length == 0 -%}
    {%- set present_columns = optional_columns -%}
{%- endif -%}
{%- set source_timezone = var('source_timezone') -%}
{%- set reporting_timezone = var('reporting_timezone') -%}

with

source_rows as (

    select * from {{ raw_relation }}

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
        {% for column in optional_columns %}
            {% if column in present_columns %}
                nullif(trim({{ column }}), '') as {{ column }}_text,
            {% else %}
                cast(null as {{ dbt.type_string() }}) as {{ column }}_text,
            {% endif %}
        {% endfor %}
        nullif(trim(signup_at), '') as signup_at_text,
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
