{#- The body of every default__ macro of macros/cross_db/: each of them is one
    dialect's SQL per adapter, so an adapter without its own implementation gets
    a compile error naming the macro and the adapter instead of another
    dialect's SQL. -#}
{% macro no_adapter_implementation(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        "membership_analytics: macro " ~ macro_name ~ " has no implementation for adapter '"
        ~ adapter.type() ~ "'; add a " ~ adapter.type() ~ "__" ~ macro_name
        ~ " macro in macros/cross_db/"
    ) }}
{%- endmacro %}
