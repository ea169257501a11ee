{#-
    The key base_ga4__events deduplicates on: a hash over `columns` (typed
    columns of the event) and the event's whole `params` list (event_params), so
    that two rows get the same key only when they are equal in all of them.
    Keys are compared within one event_date (the model partitions by it), and
    the key is text on both targets.
    - BigQuery: md5 over the columns as text and event_params as JSON text
      (ga4_surrogate_key); BigQuery cannot hash or group by an ARRAY directly.
    - DuckDB: hash() over the typed columns and the list itself, as 16 hex
      digits. Turning event_params into JSON and md5 over the joined text was
      86% of a full refresh at benchmark scale (benchmarks/README.md). hash() is
      64 bits: two different events of the same day (about 50,000 a day at
      benchmark scale) share a key with a probability near 1e-10, and hash()
      tells null from '' and ('ab', 'c') from ('a', 'bc'), since it hashes each
      argument's typed value rather than a joined text.
    The two targets give different key values; no mart shows the key.
-#}
{% macro ga4_event_key(columns, params) -%}
    {{ return(adapter.dispatch('ga4_event_key')(columns, params)) }}
{%- endmacro %}


{% macro default__ga4_event_key(columns, params) -%}
    {{ no_adapter_implementation('ga4_event_key') }}
{%- endmacro %}

{% macro bigquery__ga4_event_key(columns, params) -%}
    {{ ga4_surrogate_key(columns + [to_json_string(params)]) }}
{%- endmacro %}

{% macro duckdb__ga4_event_key(columns, params) -%}
hex(hash({{ (columns + [params]) | join(', ') }}))
{%- endmacro %}


{#-
    An event key as the narrowest value that tells two keys apart exactly, for
    checks that group every key of the history (the unique_event_key test).
    - DuckDB: the key is hex() of a 64-bit hash() (upper case, no leading
      zeros: one text per value), so the cast back to that UBIGINT is one-to-one. Grouping 8-byte integers instead of 16-character
      strings (longer than DuckDB inlines, so each one also sits in a string heap)
      roughly halves the aggregate's state and lets it run in a smaller share of
      the memory cap (62 million keys: the text needs over 200 MB of the cap,
      the integer fits in it; benchmarks/README.md).
    - BigQuery: the md5 text itself; there is no memory cap to keep under.
-#}
{% macro ga4_event_key_value(key) -%}
    {{ return(adapter.dispatch('ga4_event_key_value')(key)) }}
{%- endmacro %}

{% macro default__ga4_event_key_value(key) -%}
    {{ no_adapter_implementation('ga4_event_key_value') }}
{%- endmacro %}

{% macro bigquery__ga4_event_key_value(key) -%}
{{ key }}
{%- endmacro %}

{% macro duckdb__ga4_event_key_value(key) -%}
cast('0x' || {{ key }} as ubigint)
{%- endmacro %}


{#-
    Removing the duplicate events of base_ga4__events, in two parts because the
    cheap way differs by target:
    - ga4_event_duplicate_number(): the model's duplicate_number column (rows
      other than 1 are dropped). BigQuery: row_number() over the day and key.
      DuckDB: 1, and ga4_event_dedupe_post_hook() deletes the duplicates after
      the insert. DuckDB's window holds every row it partitions, event_params and
      all: 17.6M events took 12.6 GB at benchmark scale, and under a memory cap it
      spills the wide rows and runs several times slower. The post-hook reads
      only the key columns of the rows this run wrote.
    - ga4_event_dedupe_post_hook(): DuckDB: delete every row of this invocation
      (column _invocation_id) but one per (event_date, event_key); nothing on
      BigQuery. Days are replaced whole, so duplicates never span two runs.
      The model runs it after its commit ('transaction': false): DuckDB rewrites
      a table at commit when rows it inserted in the same transaction were
      deleted (47 s of a 78 s full refresh of the model at benchmark scale, and
      twice the memory), while a delete of committed rows only marks them. A
      run that dies between the commit and the delete leaves the duplicates of
      the days it wrote; a rerun with the same arguments (the orchestrator's
      step retry) replaces those days again, and otherwise the model's unique
      test on event_key fails the next builds until a --full-refresh or a
      backfill (start_date) of those days.
-#}
{% macro ga4_event_duplicate_number() -%}
    {{ return(adapter.dispatch('ga4_event_duplicate_number')()) }}
{%- endmacro %}

{% macro default__ga4_event_duplicate_number() -%}
    {{ no_adapter_implementation('ga4_event_duplicate_number') }}
{%- endmacro %}

{% macro bigquery__ga4_event_duplicate_number() -%}
row_number() over (partition by event_date, event_key order by event_key)
{%- endmacro %}

{% macro duckdb__ga4_event_duplicate_number() -%}
1
{%- endmacro %}


{% macro ga4_event_dedupe_post_hook() -%}
    {{ return(adapter.dispatch('ga4_event_dedupe_post_hook')()) }}
{%- endmacro %}

{% macro default__ga4_event_dedupe_post_hook() -%}
    {{ no_adapter_implementation('ga4_event_dedupe_post_hook') }}
{%- endmacro %}

{% macro bigquery__ga4_event_dedupe_post_hook() -%}
select 1
{%- endmacro %}

{% macro duckdb__ga4_event_dedupe_post_hook() -%}
delete from {{ this }}
where rowid in (
    select ranked.rowid
    from (
        select
            events.rowid,
            row_number() over (partition by events.event_date, events.event_key) as duplicate_number
        from {{ this }} as events
        inner join (
            select
                event_date,
                event_key
            from {{ this }}
            where _invocation_id = '{{ invocation_id }}'
            group by event_date, event_key
            having count(*) > 1
        ) as duplicated
            on events.event_date = duplicated.event_date and events.event_key = duplicated.event_key
        where events._invocation_id = '{{ invocation_id }}'
    ) as ranked
    where ranked.duplicate_number > 1
)
{%- endmacro %}

{#-
    After ga4_event_dedupe_post_hook: DuckDB keeps the deleted rows' version
    information in memory, outside what it can spill, until the next checkpoint
    (on a full refresh of three years of events at benchmark scale, 31,000
    duplicates spread over 62 million rows pinned most of the default 1536MB cap,
    and the next test ran out of memory). A checkpoint writes the deletions to the
    file and frees it. FORCE waits for the other thread's running transaction
    instead of failing on it, so only a run that wrote more days than a daily run
    does checkpoints: a full refresh, a first build, a long backfill. A daily run
    writes the ga4_lookback_days before the latest day loaded, that day and the
    new ones; up to a week of new days (runs missed) still counts as daily. Its
    few deletions hold little, and its wait for the other thread cost up to
    11.8 s at three years. Nothing on BigQuery. Rendered when the hook runs,
    after the model's insert, so it counts what was written.
-#}
{% macro ga4_event_dedupe_checkpoint() -%}
    {{ return(adapter.dispatch('ga4_event_dedupe_checkpoint')()) }}
{%- endmacro %}

{% macro default__ga4_event_dedupe_checkpoint() -%}
    {{ no_adapter_implementation('ga4_event_dedupe_checkpoint') }}
{%- endmacro %}

{% macro bigquery__ga4_event_dedupe_checkpoint() -%}
select 1
{%- endmacro %}

{% macro duckdb__ga4_event_dedupe_checkpoint() -%}
    {%- set days_written = 0 -%}
    {%- if execute -%}
        {%- set written -%}
            select count(distinct event_date) from {{ this }}
            where _invocation_id = '{{ invocation_id }}'
        {%- endset -%}
        {%- set days_written = run_query(written).columns[0].values()[0] -%}
    {%- endif -%}
    {%- set daily_run_days = ga4_lookback_days() + 1 + 7 -%}
    {%- if days_written > daily_run_days -%}
force checkpoint
    {%- else -%}
select 1
    {%- endif -%}
{%- endmacro %}
