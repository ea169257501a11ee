{#- on-run-end: one row per model this invocation built, with the vars it was built
    with, in `_build_metadata` beside the models. A partial build
    (`dbt build -s +fct_kpis_monthly --vars ...`) leaves other marts on older settings;
    this table is how one tells:

        select * from analytics._build_metadata
        where model_name in ('fct_kpis_weekly', 'fct_kpis_monthly')
        order by built_at desc

    `build_vars()` records every var that var_rules in dbt_project.yml declares. -#}
{% macro build_vars() -%}
    {%- set names = var('var_rules').keys() | list | sort -%}
    {%- set values = {} -%}
    {%- for name in names -%}
        {%- set value = var(name) -%}
        {#- --vars '{start_date: 2025-03-01}' gives a date, which JSON cannot hold. -#}
        {%- do values.update({name: value.isoformat() if value.isoformat is defined else value}) -%}
    {%- endfor -%}
    {{ return(values) }}
{%- endmacro %}

{% macro record_build_vars(results) %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'model' and result.status == 'success' -%}
            {%- do built.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not built -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = api.Relation.create(
        database=target.database, schema=target.schema, identifier='_build_metadata'
    ) -%}
    {%- set vars_json = tojson(build_vars(), sort_keys=true) -%}
    create table if not exists {{ relation }} (
        model_name {{ dbt.type_string() }},
        invocation_id {{ dbt.type_string() }},
        built_at {{ dbt.type_timestamp() }},
        vars_json {{ dbt.type_string() }}
    );
    insert into {{ relation }} (model_name, invocation_id, built_at, vars_json)
    values
    {%- for name in built %}
        (
            {{ string_literal(name) }},
            {{ string_literal(invocation_id) }},
            {{ dbt.current_timestamp() }},
            {{ string_literal(vars_json) }}
        ){{ ',' if not loop.last }}
    {%- endfor %};
{% endmacro %}
