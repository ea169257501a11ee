{#- on-run-start: refuse a --vars key that dbt_project.yml does not declare.

    dbt ignores a var no model reads, so `dbt build --vars '{conversion_window_day: 7}'`
    (a typo) would build the marts on the default window without a word.
    orchestrate.py refuses such vars before dbt starts (pipeline/dbt_vars.py); this
    hook does the same for dbt run by hand. The declared names are those of
    `build_vars()` (macros/run/record_build_vars.sql), kept equal to dbt_project.yml's
    vars by tests/test_orchestrate.py.

    It also runs while dbt parses the project, so every command that parses with
    --vars (build, run, test, compile, docs generate, ls) refuses the typo. -#}
{% macro check_vars() %}
    {%- set given = invocation_args_dict.get('vars') or {} -%}
    {#- dbt 1.11 passes the parsed mapping; the YAML text as typed (what earlier dbt
        versions passed) is parsed here, so the check holds either way. -#}
    {%- if given is string -%}
        {%- set given = fromyaml(given) or {} -%}
    {%- endif -%}
    {%- if given is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "--vars must be a YAML mapping such as '{conversion_window_days: 14}', got "
            ~ given | string
        ) }}
    {%- endif -%}
    {%- set known = build_vars().keys() | list | sort -%}
    {%- set unknown = [] -%}
    {%- for name in given if name not in known -%}
        {%- do unknown.append(name | string) -%}
    {%- endfor -%}
    {%- if unknown -%}
        {%- set hints = [] -%}
        {%- for name in unknown -%}
            {%- set close = [] -%}
            {%- for candidate in known -%}
                {%- if candidate.startswith(name) or name.startswith(candidate)
                    or candidate.rstrip('s') == name.rstrip('s') -%}
                    {%- do close.append(candidate) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do hints.append(
                "'" ~ name ~ "'" ~ (" (did you mean '" ~ close[0] ~ "'?)" if close | length == 1 else "")
            ) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "--vars names " ~ hints | join(', ') ~ ", which dbt_project.yml does not declare, "
            ~ "so dbt would ignore it. Known vars: " ~ known | join(', ') ~ "."
        ) }}
    {%- endif -%}
{% endmacro %}
