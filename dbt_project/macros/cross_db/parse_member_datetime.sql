{#-
    Parses a membership datetime text into a UTC timestamp.

    Accepted shapes (docs/specification.md, "Membership exports"): '2025-03-19 11:13:18',
    '2025-03-19T02:13:18Z', '2025-03-19T11:13:18+09:00' (or +0900),
    '2025/03/19 11:13', '2025.03.19', '2025-03-19', with optional fractional
    seconds (up to 9 digits; DuckDB keeps microseconds). A value without an offset is local time in source_timezone.
    Returns null for an empty or unparseable value (the staging test
    `assert_member_datetimes_parse` reports the latter).
-#}
{% macro parse_member_datetime(value, source_timezone) -%}
    {{ return(adapter.dispatch('parse_member_datetime')(value, source_timezone)) }}
{%- endmacro %}


{#- One normal form for both dialects: 'YYYY-MM-DD[ HH:MM[:SS[.f]]][+HH:MM]'
    ('T' -> ' ', '/' or '.' date separators -> '-', 'Z' -> '+00:00', '+HH' ->
    '+HH:00', no space before the offset). -#}
{% macro _normalised_member_datetime(value) -%}
regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    replace(upper(trim({{ value }})), 'T', ' '),
                    '^([0-9]{4})[./-]([0-9]{1,2})[./-]([0-9]{1,2})',
                    {{ _regexp_replacement('\\1-\\2-\\3') }}
                ),
                '[ ]*Z$',
                '+00:00'
            ),
            '(:[0-9]{2}([.][0-9]+)?)[ ]*([+-][0-9]{2})$',
            {{ _regexp_replacement('\\1\\3:00') }}
        ),
        '[ ]+([+-][0-9]{2}:?[0-9]{2})$',
        {{ _regexp_replacement('\\1') }}
    )
{%- endmacro %}


{#- A regexp_replace replacement string with \N back-references: BigQuery wants
    a raw string literal, DuckDB a plain one. -#}
{% macro _regexp_replacement(text) -%}
    {{ return(adapter.dispatch('_regexp_replacement')(text)) }}
{%- endmacro %}

{% macro default___regexp_replacement(text) -%}
    {{ no_adapter_implementation('_regexp_replacement') }}
{%- endmacro %}

{% macro bigquery___regexp_replacement(text) -%}
r'{{ text }}'
{%- endmacro %}

{% macro duckdb___regexp_replacement(text) -%}
'{{ text }}'
{%- endmacro %}


{% macro default__parse_member_datetime(value, source_timezone) -%}
    {{ no_adapter_implementation('parse_member_datetime') }}
{%- endmacro %}

{#- BigQuery: the normal form, completed to the canonical text BigQuery casts
    (seconds ':00' added after 'HH:MM', '+HHMM' -> '+HH:MM'), is cast to a timestamp
    when it carries an offset, else to a datetime placed in source_timezone. Casts and
    TIMESTAMP(datetime, zone) rather than PARSE_TIMESTAMP formats: the local BigQuery
    emulator ignores PARSE_TIMESTAMP's zone argument and rejects %E*S (see
    tests/support/bigquery_emulator.py); the casts are equally exact on BigQuery. -#}
{% macro bigquery__parse_member_datetime(value, source_timezone) -%}
{%- set canonical -%}
regexp_replace(
            regexp_replace(
                {{ _normalised_member_datetime(value) }},
                r'( [0-9]{1,2}:[0-9]{2})([+-]|$)',
                r'\1:00\2'
            ),
            r'([+-][0-9]{2})([0-9]{2})$',
            r'\1:\2'
        )
{%- endset -%}
coalesce(
        if(regexp_contains({{ canonical }}, r'[+-][0-9]{2}:[0-9]{2}$'), safe_cast({{ canonical }} as timestamp), null),
        timestamp(safe_cast({{ canonical }} as datetime), '{{ source_timezone }}')
    )
{%- endmacro %}


{#- DuckDB: strptime with %z yields a timestamptz, without it a naive timestamp
    that timezone() places in the source zone; timezone('UTC', ...) then gives the
    naive UTC timestamp the project stores. %n (nanoseconds) makes the result
    TIMESTAMP_NS, hence the final cast to the microsecond TIMESTAMP of the
    contracts. -#}
{% macro duckdb__parse_member_datetime(value, source_timezone) -%}
{%- set normalised = _normalised_member_datetime(value) -%}
cast(coalesce(
        timezone(
            'UTC',
            try_strptime(
                {{ normalised }},
                [
                    '%Y-%m-%d %H:%M:%S%z',
                    '%Y-%m-%d %H:%M:%S.%f%z',
                    '%Y-%m-%d %H:%M:%S.%n%z',
                    '%Y-%m-%d %H:%M%z',
                ]
            )
        ),
        timezone(
            'UTC',
            timezone(
                '{{ source_timezone }}',
                try_strptime(
                    {{ normalised }},
                    [
                        '%Y-%m-%d %H:%M:%S',
                        '%Y-%m-%d %H:%M:%S.%f',
                        '%Y-%m-%d %H:%M:%S.%n',
                        '%Y-%m-%d %H:%M',
                        '%Y-%m-%d',
                    ]
                )
            )
        )
    ) as timestamp)
{%- endmacro %}
