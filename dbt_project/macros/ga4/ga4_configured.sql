{#- GA4 is optional. With the var ga4_enabled false (orchestrate.py sets it when the
    GA4 source has no daily shard, or none is configured), the GA4 models are
    disabled in dbt_project.yml and the membership models that also read GA4 take
    an empty relation in its place: every membership figure still builds, and the
    GA4 figures come out null rather than zero, since "GA4 saw no one" and "there
    is no GA4 data" must not look alike. -#}

{#- The model `model_name`, or, when GA4 is not configured, an empty relation with
    `columns` (a mapping of column name to SQL type): what a membership model
    reads in place of a GA4 model. -#}
{% macro ga4_ref(model_name, columns) -%}
    {%- if var('ga4_enabled') -%}
        {{ ref(model_name) }}
    {%- else -%}
        (
            select
                {%- for name, type in columns.items() %}
                cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
                {%- endfor %}
            limit 0
        )
    {%- endif -%}
{%- endmacro %}

{#- The SQL literal true or false: whether GA4 is configured, for a column that is
    null without GA4 (`case when {{ ga4_configured() }} then ... end`). -#}
{% macro ga4_configured() -%}
    {{ 'true' if var('ga4_enabled') else 'false' }}
{%- endmacro %}
