{#- An md5 key over `columns`: each cast to text, null as a marker (concat would
    otherwise make the whole key null on BigQuery, and null must differ from ''),
    joined with a separator so that ('ab', 'c') and ('a', 'bc') differ.
    array_to_string rather than concat / ||: the same text on both dialects, and the
    local BigQuery emulator mis-binds the model's unnest(event_params) subqueries
    once a query holds a string concatenation (tests/support/bigquery_emulator.py). -#}
{% macro ga4_surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ dbt.hash("array_to_string([" ~ parts | join(", ") ~ "], '|')") }}
{%- endmacro %}
