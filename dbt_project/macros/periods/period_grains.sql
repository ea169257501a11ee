{#-
    The reporting grains, declared once: every model with a period_grain column
    (int_periods_spined, int_kpis_aggregated, int_acquisition_aggregated) builds
    one set of rows per grain listed here, and the marts select theirs with
    period_grain_is(). A grain is ISO weeks from Monday ({'weeks': 1}) or a run
    of calendar months starting in January ({'months': n}, n dividing 12).
    A quarter is one more entry: 'quarter': {'months': 3}.
-#}
{% macro period_grains() -%}
    {{ return({
        'week': {'weeks': 1},
        'month': {'months': 1},
    }) }}
{%- endmacro %}

{#- The declaration of `grain`, or a compile error naming the declared grains. -#}
{% macro period_grain_spec(grain) -%}
    {%- set grains = period_grains() -%}
    {%- if grain not in grains -%}
        {{ exceptions.raise_compiler_error(
            "Unknown period grain '" ~ grain ~ "': the declared grains are "
            ~ grains.keys() | list | join(', ')
            ~ " (macros/periods/period_grains.sql). Use one of them, or declare the grain there."
        ) }}
    {%- endif -%}
    {%- set spec = grains[grain] -%}
    {%- if spec.get('weeks') == 1 and spec | length == 1 -%}
        {{ return(spec) }}
    {%- elif spec.get('months') in [1, 2, 3, 4, 6, 12] and spec | length == 1 -%}
        {{ return(spec) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "Period grain '" ~ grain ~ "' is declared as " ~ spec | string
        ~ " in macros/periods/period_grains.sql: declare {'weeks': 1} or {'months': n} with n dividing 12."
    ) }}
{%- endmacro %}

{#- A filter keeping the rows of `grain`, which must be declared. -#}
{% macro period_grain_is(grain, column='period_grain') -%}
    {%- do period_grain_spec(grain) -%}
    {{ column }} = '{{ grain }}'
{%- endmacro %}

{#- Whether `relation` (a table with a period_grain column) holds rows of every
    declared grain and of no other: a state table built before a grain was
    declared or removed must be rebuilt whole. -#}
{% macro period_grains_built(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set built = run_query('select distinct period_grain from ' ~ relation).columns[0].values() -%}
    {{ return(built | sort | list == period_grains().keys() | sort | list) }}
{%- endmacro %}
