{#- The last day of the month starting on `month_start_date` (a date
    expression), through dbt's cross-database dateadd; trimmed so the compiled
    SQL stays on one line. -#}
{% macro last_day_of_month(month_start_date) -%}
{%- set next_month_start = dbt.dateadd('month', 1, month_start_date) | trim -%}
{{ dbt.dateadd('day', -1, next_month_start) | trim }}
{%- endmacro %}
