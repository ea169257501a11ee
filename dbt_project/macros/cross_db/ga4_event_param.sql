{#-
    One value from a GA4 event's `event_params` (ARRAY<STRUCT<key, value STRUCT<
    string_value, int_value, float_value, double_value>>>), null when the key is
    absent. value_type picks the field:
      'string' | 'int' | 'float' | 'double' -> that field as exported;
      'number' -> the first non-null numeric field, else a numeric string_value,
                  as a double (engagement_time_msec is an int in the export, but
                  a number is a number whatever field carries it);
      'any'    -> whichever field is set, as a string (for parameters GA4 sends
                  with either type, e.g. session_engaged arrives as "1" or 1).
    BigQuery form keeps the alias on unnest (`as p`): the un-aliased idiom is
    rejected by the local BigQuery emulator and the aliased one is valid on both.
-#}
{% macro ga4_event_param(key, value_type='string') -%}
    {%- set allowed = ['string', 'int', 'float', 'double', 'number', 'any'] -%}
    {%- if value_type not in allowed -%}
        {{ exceptions.raise_compiler_error(
            "ga4_event_param('" ~ key ~ "', '" ~ value_type ~ "'): value_type must be one of "
            ~ allowed | join(', ') ~ ". Fix the call in the model that extracts '" ~ key ~ "'."
        ) }}
    {%- endif -%}
    {{ return(adapter.dispatch('ga4_event_param')(key, value_type)) }}
{%- endmacro %}


{#- The expression over one parameter's `value` struct, shared by both dialects. -#}
{% macro _ga4_param_value_expr(alias, value_type) -%}
    {%- if value_type in ['string', 'int', 'float', 'double'] -%}
        {{ alias }}.value.{{ value_type }}_value
    {%- elif value_type == 'number' -%}
        coalesce(
            cast({{ alias }}.value.int_value as {{ type_double() }}),
            {{ alias }}.value.double_value,
            {{ alias }}.value.float_value,
            {{ try_cast(alias ~ '.value.string_value', type_double()) }}
        )
    {%- else -%}
        coalesce(
            {{ alias }}.value.string_value,
            cast({{ alias }}.value.int_value as {{ dbt.type_string() }}),
            cast({{ alias }}.value.double_value as {{ dbt.type_string() }}),
            cast({{ alias }}.value.float_value as {{ dbt.type_string() }})
        )
    {%- endif -%}
{%- endmacro %}


{% macro default__ga4_event_param(key, value_type) -%}
    {{ no_adapter_implementation('ga4_event_param') }}
{%- endmacro %}

{% macro bigquery__ga4_event_param(key, value_type) -%}
(
        select {{ _ga4_param_value_expr('p', value_type) }}
        from unnest(event_params) as p
        where p.key = '{{ key }}'
        limit 1
    )
{%- endmacro %}


{#- DuckDB: list_filter picks the parameter's struct without a correlated
    subquery per parameter (much cheaper on a wide scan); [1] is the first match,
    null when there is none. -#}
{% macro duckdb__ga4_event_param(key, value_type) -%}
{{ _ga4_param_value_expr("(list_filter(event_params, lambda p: p.key = '" ~ key ~ "')[1])", value_type) }}
{%- endmacro %}
