{#- A period's count (or sum) from a source: 0 when the source covers the period
    and nothing happened, null when it does not cover it (no data yet, or not
    configured), so a missing source never reads as a quiet period. `covered` is
    the period's flag for that source (has_membership_data() for the exports,
    the models' has_ga4_data for GA4). -#}
{% macro covered_count(count_column, covered) -%}
    case when {{ covered }} then coalesce({{ count_column }}, 0) end
{%- endmacro %}
