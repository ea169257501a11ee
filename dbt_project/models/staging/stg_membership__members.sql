{#-
    The loader always creates the core columns (member_id, user_id, signup_at,
    plan, first_paid_at, canceled_at). The optional canonical column
    plan_price and the extra columns of var member_extra_columns exist only once
    some file carried them, so they are read with row_field_text, which gives
    null for a column the raw table does not have.

    Incremental by export, and always equal to a full rebuild from the raw
    table. A member's row is the latest of all their export rows, and the latest
    of a union is the latest of (the latest of each part), so a run ranks only:
    - the rows of the exports loaded since the newest load the table holds
      (membership_exports_to_build: a new export, or one loaded again);
    - every row of the members whose current row came from a load that is gone
      (an export forgotten, or loaded again): their next-latest row may be in
      any export, so only they are read across the whole history;
    - each such member's current row, when it still stands.
    The winners replace the members' rows (unique_key member_id), and a post-hook
    deletes the rows of gone loads that nothing replaced (members in no export
    any more). A daily run with a new export thus ranks that export's rows and
    the table's, not every export again.

    Changing var member_extra_columns changes the columns and needs
    `--full-refresh -s stg_membership__members+` (dbt refuses the run until
    then, on_schema_change fail); changing source_timezone or reporting_timezone
    needs it too, as for the other incremental models: rows already built keep
    the old parsing.
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
{%- set manifest = source('membership', 'load_manifest') -%}
{{ config(
    post_hook="{{ membership_exports_delete_sql(source('membership', 'load_manifest')) }}",
    **membership_export_incremental_config(unique_key='member_id')
) }}
{%- set output_columns = [
    'member_id', 'user_id', 'plan', 'plan_price', 'plan_price_amount',
] + extra_columns + [
    'signup_at', 'first_paid_at', 'canceled_at', 'signup_date', 'first_paid_date', 'canceled_date',
    'signup_at_text', 'first_paid_at_text', 'canceled_at_text',
    'source_uri', 'source_last_modified', 'source_row_number', 'load_id', 'loaded_at',
] -%}
{%- do membership_check_built_columns(output_columns) -%}
{%- set exports = membership_exports_to_build(manifest, newer_than='loaded_at') -%}
{%- set has_gone_loads = membership_rows_of_gone_loads_exist(manifest) -%}

with

source_rows as (

    select * from {{ source('membership', 'membership') }}
    {% if is_incremental() %}
        where
            {{ membership_exports_condition(exports) }}
            {% if has_gone_loads -%}
                or trim(member_id) in (
                    select member_id from {{ this }}
                    where {{ membership_load_is_gone('source_uri', 'load_id', manifest) }}
                )
            {%- endif %}
    {% endif %}

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
        _load_id,
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
        _load_id as load_id,
        _loaded_at as loaded_at
    from parsed

)

{% if is_incremental() %}

    ,

    still_current as (

        -- The current rows of the members read above, unless their load is gone.
        select {{ output_columns | join(', ') }} from {{ this }}
        where
            member_id in (select member_id from final)
            and not {{ membership_load_is_gone('source_uri', 'load_id', manifest) }}

    ),

    candidates as (

        select {{ output_columns | join(', ') }} from final
        union all
        select {{ output_columns | join(', ') }} from still_current

    ),

    winners as (

        select
            *,
            row_number() over (
                partition by member_id
                order by
                    source_last_modified desc,
                    source_uri desc,
                    source_row_number desc
            ) as recency_rank
        from candidates

    )

    select {{ output_columns | join(', ') }} from winners
    where recency_rank = 1

{% else %}

    select * from final

{% endif %}
