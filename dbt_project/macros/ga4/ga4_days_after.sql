{#- The date `days` days after date expression `d`, as a DATE on both targets:
    the forward counterpart of ga4_days_before, for interval ends. -#}
{% macro ga4_days_after(d, days) -%}
{{ ga4_days_before(d, -1 * days) }}
{%- endmacro %}
