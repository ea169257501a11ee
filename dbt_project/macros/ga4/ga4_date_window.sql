{#-
    The range of GA4 event dates a model (re)builds on this run, as
    {'start': 'YYYY-MM-DD' or none, 'end': 'YYYY-MM-DD' or none}, both inclusive:
    1. vars start_date / end_date when either is set (a backfill of that range),
       widened by _ga4_window_without_holes when the model is built so that its
       table never has a gap: a table that does not exist yet (or a full refresh)
       is built from the export's first day up to end_date, and a range that does
       not touch the days the table holds is stretched to reach them;
    2. else, on an incremental run, from ga4_lookback_days (default 3) days before
       the latest event_date already in the model (GA4 rewrites a daily table for
       up to 3 days), open-ended so that new days are added;
    3. else (first run, full refresh) everything.
    The model deletes and rebuilds every event_date in the range, so a range must
    always start at the beginning of a day the source holds in full.
    date_column names the model's own date column when it is not event_date
    (the session models are dated by session_date). A range with a start starts
    one day earlier on session_date: a session is dated by its first event, so a
    session begun before midnight has events on the range's first day, which a
    run of the day before could not read.
-#}
{% macro ga4_date_window(date_column='event_date') -%}
    {%- set window = _ga4_event_date_window(date_column) -%}
    {%- if date_column == 'session_date' and window.start is not none -%}
        {%- set start = modules.datetime.date.fromisoformat(window.start) - modules.datetime.timedelta(days=1) -%}
        {{ return({'start': start.isoformat(), 'end': window.end}) }}
    {%- endif -%}
    {{ return(window) }}
{%- endmacro %}


{% macro _ga4_event_date_window(date_column) -%}
    {%- set start_date = _ga4_checked_date_var('start_date') -%}
    {%- set end_date = _ga4_checked_date_var('end_date') -%}
    {%- if start_date is not none or end_date is not none -%}
        {%- if start_date is none -%}
            {{ exceptions.raise_compiler_error(
                "GA4 backfill: end_date " ~ end_date ~ " is set without start_date. Pass both, "
                ~ "e.g. --vars '{start_date: 2025-03-01, end_date: 2025-03-31}', or start_date alone "
                ~ "to rebuild from that date to the newest shard."
            ) }}
        {%- endif -%}
        {%- if start_date is not none and end_date is not none and start_date > end_date -%}
            {{ exceptions.raise_compiler_error(
                "GA4 backfill: start_date " ~ start_date ~ " is after end_date " ~ end_date
                ~ ". Pass --vars '{start_date: YYYY-MM-DD, end_date: YYYY-MM-DD}' with start <= end."
            ) }}
        {%- endif -%}
        {{ return(_ga4_window_without_holes(start_date, end_date, date_column)) }}
    {%- endif -%}

    {#- `this` is none in a dbt unit test, where the model is never incremental. -#}
    {%- if execute and this is not none and is_incremental() -%}
        {%- set latest = ga4_latest_date(this, date_column) -%}
        {%- if latest is not none -%}
            {%- set latest_date = modules.datetime.date.fromisoformat(latest) -%}
            {%- set start = latest_date - modules.datetime.timedelta(days=ga4_lookback_days()) -%}
            {{ return({'start': start.isoformat(), 'end': none}) }}
        {%- endif -%}
    {%- endif -%}
    {{ return({'start': none, 'end': none}) }}
{%- endmacro %}



{#- The days a run of a GA4 model replaces in its table, as a list of date
    literals ("date('YYYY-MM-DD')"), for insert_overwrite on BigQuery: every day
    of ga4_date_window(date_column) from its start to its end, and no later than
    the latest day the table holds (later days are new rows with nothing to
    replace). Empty when the window has no start (first run, full refresh) or
    starts after the table's latest day. Asks the table at run time, so call it
    where dbt executes the model (the materialization), not in config(). -#}
{% macro ga4_partitions_to_replace(date_column='event_date') -%}
    {%- set window = ga4_date_window(date_column) -%}
    {%- if window.start is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set latest = ga4_latest_date(this, date_column) -%}
    {%- if latest is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set first = modules.datetime.date.fromisoformat(window.start) -%}
    {%- set last = modules.datetime.date.fromisoformat(latest) -%}
    {%- if window.end is not none and window.end < last.isoformat() -%}
        {%- set last = modules.datetime.date.fromisoformat(window.end) -%}
    {%- endif -%}
    {%- set days = [] -%}
    {%- for i in range((last - first).days + 1) -%}
        {%- do days.append("date('" ~ (first + modules.datetime.timedelta(days=i)).isoformat() ~ "')") -%}
    {%- endfor -%}
    {{ return(days) }}
{%- endmacro %}

{#- The window in shard-suffix form ('YYYYMMDD'), for ga4_events_source. -#}
{% macro ga4_suffix(iso_date) -%}
    {{ return(none if iso_date is none else iso_date | replace('-', '')) }}
{%- endmacro %}


{% macro ga4_lookback_days() -%}
    {{ return(_ga4_days_var('ga4_lookback_days', 3)) }}
{%- endmacro %}


{#- How far back a direct session looks for the device's last non-direct click
    (int_ga4_sessions_attributed). -#}
{% macro ga4_session_lookback_days() -%}
    {{ return(_ga4_days_var('ga4_session_lookback_days', 30)) }}
{%- endmacro %}


{% macro _ga4_days_var(name, default) -%}
    {%- set days = var(name, default) -%}
    {%- if days is none or not (days | string).isdigit() -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " is '" ~ days ~ "': it must be a whole number of days >= 0 "
            ~ "(dbt_project.yml, vars, or --vars '{" ~ name ~ ": " ~ default ~ "}')."
        ) }}
    {%- endif -%}
    {{ return(days | int) }}
{%- endmacro %}


{% macro _ga4_checked_date_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or value == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " is '" ~ text ~ "': write it as YYYY-MM-DD, e.g. --vars '{"
            ~ name ~ ": 2025-03-01}'."
        ) }}
    {%- endif -%}
    {%- set parsed = modules.datetime.date.fromisoformat(text) -%}
    {{ return(text) }}
{%- endmacro %}


{#- A SQL condition keeping `column` (a date) inside window (from ga4_date_window);
    `true` when the window is unbounded. -#}
{% macro ga4_date_window_condition(column, window) -%}
    {%- set conditions = [] -%}
    {%- if window.start is not none -%}
        {%- do conditions.append(column ~ " >= cast('" ~ window.start ~ "' as date)") -%}
    {%- endif -%}
    {%- if window.end is not none -%}
        {%- do conditions.append(column ~ " <= cast('" ~ window.end ~ "' as date)") -%}
    {%- endif -%}
    {{ return(conditions | join(' and ') if conditions else 'true') }}
{%- endmacro %}


{#- The backfill range start_date..end_date as a model build must use it so that its
    table stays one run of days with no gap (a test reads the range as given):
    - no table yet, or a full refresh: from the export's first day (no start) to
      end_date, so that a first run for a past day does not build that day alone;
    - a table holding first..latest: a range ending before first - 1 is stretched
      to end at first - 1, and a range starting after latest + 1 to start where a
      run on time would (ga4_lookback_days before latest). -#}
{% macro _ga4_window_without_holes(start_date, end_date, date_column) -%}
    {%- if not execute or this is none or model.resource_type != 'model' -%}
        {{ return({'start': start_date, 'end': end_date}) }}
    {%- endif -%}
    {%- if not is_incremental() -%}
        {{ return({'start': none, 'end': end_date}) }}
    {%- endif -%}
    {%- set newest = ga4_latest_date(this, date_column) -%}
    {%- if newest is none -%}
        {{ return({'start': none, 'end': end_date}) }}
    {%- endif -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set latest = modules.datetime.date.fromisoformat(newest) -%}
    {%- set start = modules.datetime.date.fromisoformat(start_date) -%}
    {%- set end = none if end_date is none else modules.datetime.date.fromisoformat(end_date) -%}
    {%- if end is not none -%}
        {%- set first = _ga4_first_date(date_column, end + one_day) -%}
        {%- if end < first - one_day -%}
            {%- set end = first - one_day -%}
        {%- endif -%}
    {%- endif -%}
    {%- if start > latest + one_day -%}
        {%- set start = latest - modules.datetime.timedelta(days=ga4_lookback_days()) -%}
    {%- endif -%}
    {{ return({'start': start.isoformat(), 'end': none if end is none else end.isoformat()}) }}
{%- endmacro %}


{#- The table's first day. Asked first of the partitions up to `through` (a date),
    where the first day is whenever the table has a row by then; only a range that
    ends before the table's first day reads the whole date column. -#}
{% macro _ga4_first_date(date_column, through) -%}
    {%- set bounded -%}
        select min({{ date_column }}) from {{ this }} where {{ date_column }} <= cast('{{ through.isoformat() }}' as date)
    {%- endset -%}
    {%- set first = run_query(bounded).columns[0].values()[0] -%}
    {%- if first is none -%}
        {%- set first = run_query('select min(' ~ date_column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat((first | string)[:10])) }}
{%- endmacro %}
