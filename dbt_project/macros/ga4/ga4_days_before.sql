{#- The date `days` days before date expression `d`, as a DATE on both targets
    (dbt.dateadd yields a DATETIME on BigQuery and a TIMESTAMP on DuckDB). -#}
{% macro ga4_days_before(d, days) -%}
cast({{ dbt.dateadd('day', -1 * days, d) }} as date)
{%- endmacro %}
