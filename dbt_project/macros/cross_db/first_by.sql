{#- An aggregate: the values of the group's first row in the order of `order_by`,
    as one struct whose fields are the keys of `values`. The caller reads them in
    a later step (`<column>.<field>`).

    values:   {field name: expression}, in the struct's field order.
    order_by: a list of expressions, ascending, compared left to right.
    where:    an optional condition; only rows meeting it compete, and a group
              with none gives null in every field.

    It replaces a row_number() window over the rows followed by a join back:
    both warehouses keep one small state per group in a hash aggregate instead
    of sorting every row. Nulls in an order key sort the way each warehouse
    sorts them in an ORDER BY (last on DuckDB, first on BigQuery), the order the
    windows gave; rows equal in every order key give either's values, so a
    caller that needs one answer puts enough keys in order_by.

    - DuckDB: min() of a struct whose first fields are the order keys; structs
      compare field by field, and a null struct (a row failing `where`) is
      skipped as any null is.
    - BigQuery: min() cannot compare structs, so array_agg(... order by ...
      limit 1)[safe_offset(0)]. Rows failing `where` sort after the others and
      carry null values, rather than being null structs skipped by IGNORE
      NULLS: BigQuery refuses a null array element without it, and the local
      BigQuery API used by the tests drops IGNORE NULLS.
-#}
{% macro first_by(values, order_by, where=none) -%}
    {{ return(adapter.dispatch('first_by')(values, order_by, where)) }}
{%- endmacro %}

{% macro default__first_by(values, order_by, where) -%}
    {{ no_adapter_implementation('first_by') }}
{%- endmacro %}

{% macro duckdb__first_by(values, order_by, where) -%}
    {%- set fields = [] %}
    {%- for expression in order_by %}
        {%- do fields.append('_order_' ~ loop.index ~ ' := ' ~ expression) %}
    {%- endfor %}
    {%- for name, expression in values.items() %}
        {%- do fields.append(name ~ ' := ' ~ expression) %}
    {%- endfor %}
    {%- set packed = 'struct_pack(' ~ fields | join(', ') ~ ')' -%}
min({% if where is not none %}case when {{ where }} then {{ packed }} end{% else %}{{ packed }}{% endif %})
{%- endmacro %}

{% macro bigquery__first_by(values, order_by, where) -%}
    {%- set fields = [] %}
    {%- for name, expression in values.items() %}
        {%- if where is not none %}
            {%- do fields.append('if(' ~ where ~ ', ' ~ expression ~ ', null) as ' ~ name) %}
        {%- else %}
            {%- do fields.append(expression ~ ' as ' ~ name) %}
        {%- endif %}
    {%- endfor %}
    {%- set keys = order_by if where is none else ['if(' ~ where ~ ', 0, 1)'] + order_by -%}
array_agg(struct({{ fields | join(', ') }}) order by {{ keys | join(', ') }} limit 1)[safe_offset(0)]
{%- endmacro %}
