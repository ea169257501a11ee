{#- numerator / denominator as a double, null when the denominator is 0 or null
    (every rate of the metric docs blocks is null when its denominator is 0).
    Either may be an expression: both are bracketed, so `a + b` divides as a whole.
    Not dialect specific, so not dispatched. -#}
{% macro safe_ratio(numerator, denominator) -%}
case
        when ({{ denominator }}) = 0 then null
        else cast(({{ numerator }}) as {{ type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}
