{#- A period's count from a source: 0 when the source covers the period and nothing
    happened, null when it does not cover it (no data yet, or not configured), so a
    missing source never reads as a quiet period. `covered` is the period's flag for
    that source (int_periods_spined's has_<source>_data). -#}
{% macro covered_count(count_column, covered) -%}
    case when {{ covered }} then coalesce({{ count_column }}, 0) end
{%- endmacro %}
