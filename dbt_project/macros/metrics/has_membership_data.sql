{#- Whether the membership exports cover a period: it starts on or before the
    newest export's as-of date (docs/specification.md, "How complete a figure
    is"). Past it nobody has seen a member's state, so every membership figure
    of such a period is unknown (covered_count gives null), and no row stands
    for it; a period that starts on or before it but ends after it is partial
    and keeps its figures. False when there is no export at all. -#}
{% macro has_membership_data(period_start, membership_as_of_date) -%}
    coalesce({{ period_start }} <= {{ membership_as_of_date }}, false)
{%- endmacro %}
