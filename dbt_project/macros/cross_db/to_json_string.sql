{#- A value (struct, array, scalar) serialised as JSON text: used to compare
    nested values such as event_params, which neither dialect can group by or
    compare directly in the same way (BigQuery cannot group by an ARRAY). -#}
{% macro to_json_string(expr) -%}
    {{ return(adapter.dispatch('to_json_string')(expr)) }}
{%- endmacro %}

{% macro default__to_json_string(expr) -%}
    {{ no_adapter_implementation('to_json_string') }}
{%- endmacro %}

{% macro bigquery__to_json_string(expr) -%}
to_json_string({{ expr }})
{%- endmacro %}

{% macro duckdb__to_json_string(expr) -%}
cast(to_json({{ expr }}) as varchar)
{%- endmacro %}
