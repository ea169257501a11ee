{#-
    Fails on every row whose column lies outside [min_value, max_value]
    (or (min_value, max_value) with inclusive=false). Nulls pass: a rate that
    the definition leaves undefined (e.g. division by zero) is null, not wrong.
    Either bound may be omitted.
-#}
{% test in_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

{%- set lower_op = '<' if inclusive else '<=' -%}
{%- set upper_op = '>' if inclusive else '>=' -%}

select
    {{ column_name }} as out_of_range_value,
    *
from {{ model }}
where
    {{ column_name }} is not null
    and (
        false
        {%- if min_value is not none %}
        or {{ column_name }} {{ lower_op }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        or {{ column_name }} {{ upper_op }} {{ max_value }}
        {%- endif %}
    )

{% endtest %}
