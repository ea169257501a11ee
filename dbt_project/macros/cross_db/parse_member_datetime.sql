{#-
    Parses a membership datetime text into a UTC timestamp.

    Accepted shapes (DESIGN.md, "Source 1"): '2025-03-19 11:13:18',
    '2025-03-19T02:13:18Z', '2025-03-19T11:13:18+09:00' (or +0900),
    '2025/03/19 11:13', '2025.03.19', '2025-03-19', with optional fractional
    seconds. A value without an offset is local time in source_timezone.
    Returns null for an empty or unparseable value (the staging test
    `assert_member_datetimes_parse` reports the latter).
-#}
{% macro parse_member_datetime(value, source_timezone) -%}
    {{ return(adapter.dispatch('parse_member_datetime')(value, source_timezone)) }}
{%- endmacro %}


{#- One normal form for both dialects: 'YYYY-MM-DD[ HH:MM[:SS[.f]]][+HH:MM]'. -#}
{% macro _normalised_member_datetime(value) -%}
regexp_replace(
        regexp_replace(
            regexp_replace(
                replace(trim({{ value }}), 'T', ' '),
                '^([0-9]{4})[./-]([0-9]{1,2})[./-]([0-9]{1,2})',
                {{ _regexp_backrefs('-') }}
            ),
            '[Zz]$',
            '+00:00'
        ),
        '[ ]+([+-][0-9]{2}:?[0-9]{2})$',
        {{ _regexp_backref_1() }}
    )
{%- endmacro %}


{% macro _regexp_backrefs(sep) -%}
    {{ return(adapter.dispatch('_regexp_backrefs')(sep)) }}
{%- endmacro %}

{% macro default___regexp_backrefs(sep) -%}
r'\1{{ sep }}\2{{ sep }}\3'
{%- endmacro %}

{% macro duckdb___regexp_backrefs(sep) -%}
'\1{{ sep }}\2{{ sep }}\3'
{%- endmacro %}


{% macro _regexp_backref_1() -%}
    {{ return(adapter.dispatch('_regexp_backref_1')()) }}
{%- endmacro %}

{% macro default___regexp_backref_1() -%}
r'\1'
{%- endmacro %}

{% macro duckdb___regexp_backref_1() -%}
'\1'
{%- endmacro %}


{% macro default__parse_member_datetime(value, source_timezone) -%}
{%- set normalised = _normalised_member_datetime(value) -%}
coalesce(
        safe.parse_timestamp('%Y-%m-%d %H:%M:%E*S%Ez', {{ normalised }}),
        safe.parse_timestamp('%Y-%m-%d %H:%M:%E*S%z', {{ normalised }}),
        safe.parse_timestamp('%Y-%m-%d %H:%M%Ez', {{ normalised }}),
        safe.parse_timestamp('%Y-%m-%d %H:%M%z', {{ normalised }}),
        safe.parse_timestamp('%Y-%m-%d %H:%M:%E*S', {{ normalised }}, '{{ source_timezone }}'),
        safe.parse_timestamp('%Y-%m-%d %H:%M', {{ normalised }}, '{{ source_timezone }}'),
        safe.parse_timestamp('%Y-%m-%d', {{ normalised }}, '{{ source_timezone }}')
    )
{%- endmacro %}


{#- DuckDB: strptime with %z yields a timestamptz, without it a naive timestamp
    that timezone() places in the source zone; timezone('UTC', ...) then gives the
    naive UTC timestamp the project stores. -#}
{% macro duckdb__parse_member_datetime(value, source_timezone) -%}
{%- set normalised = _normalised_member_datetime(value) -%}
coalesce(
        timezone(
            'UTC',
            try_strptime(
                {{ normalised }},
                ['%Y-%m-%d %H:%M:%S%z', '%Y-%m-%d %H:%M:%S.%f%z', '%Y-%m-%d %H:%M%z']
            )
        ),
        timezone(
            'UTC',
            timezone(
                '{{ source_timezone }}',
                try_strptime(
                    {{ normalised }},
                    ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M', '%Y-%m-%d']
                )
            )
        )
    )
{%- endmacro %}
