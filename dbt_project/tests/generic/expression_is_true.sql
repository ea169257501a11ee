{#-
    Fails on every row where `expression` (a boolean SQL expression over the
    model's columns) is not true. Used model-level for identities such as
    paying_members_end = paying_members_start + new_paying_members - churned_members.
    A null result fails too: an identity that cannot be evaluated does not hold.
-#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
