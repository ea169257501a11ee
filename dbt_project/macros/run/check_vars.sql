{#- on-run-start: refuse a var dbt_project.yml does not declare, or a value its
    declaration (the var `var_rules`) does not allow.

    dbt ignores a var no model reads, and renders whatever value it is given, so
    `dbt build --vars '{conversion_window_day: 7}'` (a typo) would build the marts on
    the default window, and `{conversion_window_days: seven}` on nonsense, without a
    word. orchestrate.py and the Airflow tasks refuse both before anything runs
    (pipeline/dbt_vars.py, the same declaration and rules); this hook does it for
    dbt run by hand.

    It also runs while dbt parses the project, so every command that parses with
    --vars (build, run, test, compile, docs generate, ls) refuses them. -#}
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
    {%- set rules = var('var_rules') -%}
    {%- set known = rules.keys() | list | sort -%}
    {%- set unknown = [] -%}
    {%- for name in given if name not in known -%}
        {%- do unknown.append(name | string) -%}
    {%- endfor -%}
    {%- if unknown -%}
        {%- set sentences = [] -%}
        {%- for name in unknown -%}
            {%- do sentences.append(
                "--vars names '" ~ name ~ "'" ~ _var_hint(name, known) ~ ", which dbt_project.yml does not declare, "
                ~ "so dbt would ignore it. Known vars: " ~ known | join(', ') ~ "."
            ) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(sentences | join(' ')) }}
    {%- endif -%}
    {%- set wrong = [] -%}
    {%- for name in known -%}
        {%- set value = var(name) -%}
        {%- if not _var_fits(value, rules[name]) -%}
            {%- set shown = value.isoformat() if value.isoformat is defined else value -%}
            {%- set hint = _var_hint(value, modules.pytz.all_timezones | list)
                if rules[name].get('kind') == 'timezone' and value is string else '' -%}
            {%- do wrong.append(
                ("--vars" if name in given else "dbt_project.yml") ~ ": " ~ name ~ " is "
                ~ _var_repr(shown) ~ hint ~ "; allowed: " ~ _var_allowed(rules[name]) ~ "."
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if wrong -%}
        {{ exceptions.raise_compiler_error(wrong | join(' ')) }}
    {%- endif -%}
{% endmacro %}

{#- The suggestion for a misspelt `name`: " (did you mean 'x'?)" when exactly one of
    `candidates` is close to it (one is a prefix of the other, they differ by a
    trailing s, or by one edit: a character inserted, deleted, replaced, or two
    neighbours swapped), else nothing. pipeline/dbt_vars.py `suggestion()` is the
    same rule, and tests/pipeline/test_var_suggestions.py holds the two to the same answers. -#}
{% macro _var_hint(name, candidates) -%}
    {%- set close = [] -%}
    {%- for candidate in candidates if candidate != name -%}
        {%- if candidate.startswith(name) or name.startswith(candidate)
            or candidate.rstrip('s') == name.rstrip('s') or _one_edit_apart(candidate, name) -%}
            {%- do close.append(candidate) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(" (did you mean '" ~ close[0] ~ "'?)" if close | length == 1 else "") }}
{%- endmacro %}

{% macro _one_edit_apart(a, b) -%}
    {%- if a | length == b | length -%}
        {%- set differ = [] -%}
        {%- for i in range(a | length) if a[i] != b[i] -%}
            {%- do differ.append(i) -%}
        {%- endfor -%}
        {{ return(differ | length == 1 or (differ | length == 2 and differ[1] == differ[0] + 1
                  and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])) }}
    {%- endif -%}
    {%- set longer, shorter = (a, b) if a | length > b | length else (b, a) -%}
    {%- if longer | length != shorter | length + 1 -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for i in range(longer | length) -%}
        {%- if longer[:i] ~ longer[i + 1:] == shorter -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- Whether `value` is one `rule` (an entry of var_rules) allows. -#}
{% macro _var_fits(value, rule) -%}
    {%- set kind = rule.get('kind') -%}
    {%- if value is none -%}
        {{ return(rule.get('nullable', false)) }}
    {%- elif kind == 'integer' -%}
        {{ return(value is integer and value is not boolean
                  and (rule.get('min') is none or value >= rule['min'])
                  and (rule.get('max') is none or value <= rule['max'])) }}
    {%- elif kind == 'timezone' -%}
        {{ return(value is string and value in modules.pytz.all_timezones_set) }}
    {%- elif kind == 'date' -%}
        {%- if value.isoformat is defined and value.hour is not defined -%}
            {{ return(true) }}
        {%- endif -%}
        {%- set match = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', value | string)
            if value is string else none -%}
        {%- if not match -%}
            {{ return(false) }}
        {%- endif -%}
        {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
        {%- if month < 1 or month > 12 or day < 1 or year < 1 -%}
            {{ return(false) }}
        {%- endif -%}
        {%- set first = modules.datetime.date(year, month, 1) -%}
        {%- set last = (first + modules.datetime.timedelta(days=32)).replace(day=1)
            - modules.datetime.timedelta(days=1) -%}
        {{ return(day <= last.day) }}
    {%- elif kind == 'boolean' -%}
        {{ return(value is boolean) }}
    {%- elif kind == 'string' -%}
        {{ return(value is string
                  and modules.re.fullmatch(rule.get('pattern') or '.*', value, modules.re.S) is not none) }}
    {%- elif kind == 'one_of' -%}
        {{ return(value in (rule.get('values') or [])) }}
    {%- elif kind == 'list' -%}
        {%- if value is string or value is mapping or value is not iterable -%}
            {{ return(false) }}
        {%- endif -%}
        {%- for item in value -%}
            {%- if not _var_fits(item, rule.get('items') or {}) -%}
                {{ return(false) }}
            {%- endif -%}
        {%- endfor -%}
        {{ return(true) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "dbt_project.yml: var_rules has a rule of unknown kind '" ~ kind
        ~ "': use integer, timezone, date, boolean, string, one_of or list"
    ) }}
{%- endmacro %}

{#- What `rule` allows, in the words pipeline/dbt_vars.py uses. -#}
{% macro _var_allowed(rule) -%}
    {%- set kind = rule.get('kind') -%}
    {%- if kind == 'integer' -%}
        {%- set text = 'an integer from ' ~ rule.get('min', '-inf') ~ ' to ' ~ rule.get('max', 'inf') -%}
    {%- elif kind == 'timezone' -%}
        {%- set text = 'an IANA time zone name such as Asia/Seoul, Europe/Berlin or UTC' -%}
    {%- elif kind == 'date' -%}
        {%- set text = 'a date YYYY-MM-DD' -%}
    {%- elif kind == 'boolean' -%}
        {%- set text = 'true or false' -%}
    {%- elif kind == 'string' -%}
        {%- set text = 'text matching ' ~ rule['pattern'] if rule.get('pattern') else 'text' -%}
    {%- elif kind == 'one_of' -%}
        {%- set text = 'one of ' ~ (rule.get('values') or []) | join(', ') -%}
    {%- else -%}
        {%- set text = 'a list, each item ' ~ _var_allowed(rule.get('items') or {}) -%}
    {%- endif -%}
    {{ return(text ~ (', or null' if rule.get('nullable') else '')) }}
{%- endmacro %}

{#- A value as Python's repr shows it, for messages equal to the orchestrator's. -#}
{% macro _var_repr(value) -%}
    {%- if value is string -%}
        {{ return("'" ~ value ~ "'") }}
    {%- elif value is boolean -%}
        {{ return('True' if value else 'False') }}
    {%- elif value is none -%}
        {{ return('None') }}
    {%- elif value is iterable and value is not mapping -%}
        {%- set items = [] -%}
        {%- for item in value -%}
            {%- do items.append(_var_repr(item)) -%}
        {%- endfor -%}
        {{ return('[' ~ items | join(', ') ~ ']') }}
    {%- endif -%}
    {{ return(value | string) }}
{%- endmacro %}
