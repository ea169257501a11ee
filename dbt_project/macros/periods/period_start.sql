{#- The first day of the `grain` period holding date `d` (macros/periods/period_grains.sql). -#}
{% macro period_start(grain, d) -%}
    {%- set spec = period_grain_spec(grain) -%}
    {%- if spec.get('weeks') -%}
        {{ week_start(d) }}
    {%- elif spec['months'] == 1 -%}
        {{ month_start(d) }}
    {%- else -%}
        {#- Back from the month's first day to the first month of its run. -#}
        cast({{ dbt.dateadd(
            'month',
            '-1 * mod(extract(month from ' ~ d ~ ') - 1, ' ~ spec['months'] ~ ')',
            month_start(d),
        ) | trim }} as date)
    {%- endif -%}
{%- endmacro %}

{#- The last day of the `grain` period starting on date `start`. -#}
{% macro period_end(grain, start) -%}
    {%- set spec = period_grain_spec(grain) -%}
    {%- if spec.get('weeks') -%}
        cast({{ dbt.dateadd('day', 6, start) | trim }} as date)
    {%- elif spec['months'] == 1 -%}
        cast({{ last_day_of_month(start) }} as date)
    {%- else -%}
        cast({{ last_day_of_month(dbt.dateadd('month', spec['months'] - 1, start) | trim) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- period_start for the grain held in a column (by default that of a CTE
    `grains` the model cross joins with): one `when` per declared grain. -#}
{% macro period_start_by_grain(d, grain_column='grains.period_grain') -%}
    case {{ grain_column }}
        {%- for grain in period_grains() %}
        when '{{ grain }}' then {{ period_start(grain, d) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- period_end likewise, for the period starting on `start`. -#}
{% macro period_end_by_grain(start, grain_column='grains.period_grain') -%}
    case {{ grain_column }}
        {%- for grain in period_grains() %}
        when '{{ grain }}' then {{ period_end(grain, start) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The declared grains as rows of one column, period_grain. -#}
{% macro period_grain_rows() -%}
    {%- for grain in period_grains() %}
    select '{{ grain }}' as period_grain
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- The days a run reads to recount whole every period, of every declared
    grain, holding a day of window (from ga4_date_window), as SQL date
    expressions {'first': ..., 'last': ...}: the first day of the earliest
    period holding window.start and the last day of the latest period holding
    window.end; none where the window is unbounded. -#}
{% macro period_window_bounds(window) -%}
    {%- set bounds = {'first': none, 'last': none} -%}
    {%- if window.start is not none -%}
        {%- set day = "cast('" ~ window.start ~ "' as date)" -%}
        {%- set starts = [] -%}
        {%- for grain in period_grains() -%}
            {%- do starts.append(period_start(grain, day)) -%}
        {%- endfor -%}
        {%- do bounds.update({'first': 'least(' ~ starts | join(', ') ~ ')'}) -%}
    {%- endif -%}
    {%- if window.end is not none -%}
        {%- set day = "cast('" ~ window.end ~ "' as date)" -%}
        {%- set ends = [] -%}
        {%- for grain in period_grains() -%}
            {%- do ends.append(period_end(grain, period_start(grain, day))) -%}
        {%- endfor -%}
        {%- do bounds.update({'last': 'greatest(' ~ ends | join(', ') ~ ')'}) -%}
    {%- endif -%}
    {{ return(bounds) }}
{%- endmacro %}

{#- A SQL condition keeping `column` (a date) between period_window_bounds(window);
    `true` where the window is unbounded. -#}
{% macro period_window_days_condition(column, window) -%}
    {%- set bounds = period_window_bounds(window) -%}
    {%- set conditions = [] -%}
    {%- if bounds.first is not none -%}
        {%- do conditions.append(column ~ ' >= ' ~ bounds.first) -%}
    {%- endif -%}
    {%- if bounds.last is not none -%}
        {%- do conditions.append(column ~ ' <= ' ~ bounds.last) -%}
    {%- endif -%}
    {{ return(conditions | join(' and ') if conditions else 'true') }}
{%- endmacro %}

{#- A SQL condition keeping the periods (grain_column, start_column) that lie
    whole between period_window_bounds(window): the ones a run reading those
    days counts from all of their days. They include every period holding a
    day of window. `true` where the window is unbounded. -#}
{% macro period_within_window_condition(grain_column, start_column, window) -%}
    {%- set bounds = period_window_bounds(window) -%}
    {%- set conditions = [] -%}
    {%- if bounds.first is not none -%}
        {%- do conditions.append(start_column ~ ' >= ' ~ bounds.first) -%}
    {%- endif -%}
    {%- if bounds.last is not none -%}
        {%- do conditions.append(
            period_end_by_grain(start_column, grain_column) ~ ' <= ' ~ bounds.last
        ) -%}
    {%- endif -%}
    {{ return(conditions | join(' and ') if conditions else 'true') }}
{%- endmacro %}
