{#- An md5 key over `columns`: each cast to text, null as a marker (concat would
    otherwise make the whole key null on BigQuery, and null must differ from ''),
    joined with a separator so that ('ab', 'c') and ('a', 'bc') differ. -#}
{% macro ga4_surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
