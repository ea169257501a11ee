{#-
    Fails once per (day, key) held by more than one row: the grain of
    base_ga4__events, whose duplicates are removed per event_date and event_key
    (macros/cross_db/ga4_event_key.sql). The key hashes event_date with the rest
    of the event, so the day adds nothing to what two keys' equality means; keys
    of different days are never compared, as the deduplication never compares
    them. The keys are grouped as ga4_event_key_value(), the narrowest exact form
    (an integer on DuckDB), which needs about half the memory of grouping the
    text when a full refresh checks every key of the history. A failing row gives the day, the key
    in that form, and how many rows hold it.
-#}
{% test unique_event_key(model, column_name, date_column='event_date') %}

select
    {{ date_column }},
    {{ ga4_event_key_value(column_name) }} as event_key_value,
    count(*) as row_count
from {{ model }}
where {{ column_name }} is not null
group by {{ date_column }}, {{ ga4_event_key_value(column_name) }}
having count(*) > 1

{% endtest %}
