{#- The calendar date, in time zone `tz`, of an absolute instant: the loader's
    metadata timestamps (timestamptz on DuckDB, TIMESTAMP on BigQuery), unlike
    to_local_date, whose DuckDB input is a naive timestamp holding UTC. -#}
{% macro timestamptz_to_local_date(instant, tz) -%}
    {{ return(adapter.dispatch('timestamptz_to_local_date')(instant, tz)) }}
{%- endmacro %}

{% macro default__timestamptz_to_local_date(instant, tz) -%}
    {{ no_adapter_implementation('timestamptz_to_local_date') }}
{%- endmacro %}

{% macro bigquery__timestamptz_to_local_date(instant, tz) -%}
date({{ instant }}, '{{ tz }}')
{%- endmacro %}

{% macro duckdb__timestamptz_to_local_date(instant, tz) -%}
cast(timezone('{{ tz }}', cast({{ instant }} as timestamptz)) as date)
{%- endmacro %}
