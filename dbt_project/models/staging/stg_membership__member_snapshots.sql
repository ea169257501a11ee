{#-
    Every export is a snapshot of the member table: one row per (source object,
    member), the member's later row when an object holds them twice, with the
    object's as-of date (its last-modified time as a reporting-zone date). The
    revenue models read a member's plan and price at each month end from here
    (docs/specification.md, "Revenue (MRR)"), and int_paying_spells_merged a
    member's paying spells from the first payment and cancellation each export
    shows; stg_membership__members keeps only the latest row.

    Incremental by export: each export's rows are read, ranked and parsed once,
    when its load is new (membership_exports_to_build: a new object, or one
    loaded again), and the rows of an export forgotten or loaded again are
    deleted first (membership_exports_delete_sql), so the table always equals a
    full rebuild from the raw table. A daily run thus reads the new export, not
    every export again. Changing var source_timezone or reporting_timezone needs
    --full-refresh, as for the GA4 models: rows already built keep the old one.
-#}
{%- set manifest = source('membership', 'load_manifest') -%}
{{ config(
    pre_hook="{{ membership_exports_delete_sql(source('membership', 'load_manifest')) }}",
    **membership_export_incremental_config()
) }}
{%- set source_timezone = var('source_timezone') -%}
{%- set reporting_timezone = var('reporting_timezone') -%}

with

source_rows as (

    select * from {{ source('membership', 'membership') }}
    {% if is_incremental() %}
        {%- set exports = membership_exports_to_build(manifest) %}
        where
            {{ membership_exports_condition(exports) }}
    {% endif %}

),

ranked as (

    select
        trim(member_id) as member_id,
        nullif(trim(plan), '') as plan_text,
        nullif(trim({{ row_field_text('source_rows', 'plan_price') }}), '') as plan_price_text,
        {{ parse_member_datetime(
            "nullif(trim(first_paid_at), '')", source_timezone
        ) }} as first_paid_at,
        {{ parse_member_datetime(
            "nullif(trim(canceled_at), '')", source_timezone
        ) }} as canceled_at,
        _source_uri,
        _source_last_modified,
        _source_row_number,
        _load_id,
        row_number() over (
            partition by _source_uri, trim(member_id)
            order by _source_row_number desc
        ) as row_rank
    from source_rows
    where nullif(trim(member_id), '') is not null

),

final as (

    select
        member_id,
        _source_uri as source_uri,
        _source_last_modified as source_last_modified,
        {{ timestamptz_to_local_date('_source_last_modified', reporting_timezone) }} as as_of_date,
        _source_row_number as source_row_number,
        _load_id as load_id,
        lower(plan_text) as plan,
        plan_price_text as plan_price,
        {{ try_cast(
            "trim(replace(plan_price_text, ',', ''))",
            dbt.type_numeric(),
        ) }} as plan_price_amount,
        {{ to_local_date('first_paid_at', reporting_timezone) }} as first_paid_date,
        {{ to_local_date('canceled_at', reporting_timezone) }} as canceled_date
    from ranked
    where row_rank = 1

)

select * from final
