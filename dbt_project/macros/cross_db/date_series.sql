{#- A query with one column, `date_day`: every date from start_column to
    end_column inclusive, for each row of `relation` (normally a one-row CTE
    holding the bounds as dates). -#}
{% macro date_series(start_column, end_column, relation) -%}
    {{ return(adapter.dispatch('date_series')(start_column, end_column, relation)) }}
{%- endmacro %}

{% macro default__date_series(start_column, end_column, relation) -%}
    {{ no_adapter_implementation('date_series') }}
{%- endmacro %}

{% macro bigquery__date_series(start_column, end_column, relation) -%}
select date_day
from {{ relation }}
cross join unnest(generate_date_array({{ start_column }}, {{ end_column }})) as date_day
{%- endmacro %}

{% macro duckdb__date_series(start_column, end_column, relation) -%}
select
    cast(
        unnest(
            generate_series(
                cast({{ start_column }} as timestamp),
                cast({{ end_column }} as timestamp),
                interval 1 day
            )
        ) as date
    ) as date_day
from {{ relation }}
{%- endmacro %}
