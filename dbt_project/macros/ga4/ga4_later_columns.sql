{#-
    The export's columns that Google added after the export began and that the
    models read, with the date each appeared and the fields the models read from
    it (a struct's other fields are left alone). ga4_events_source gives every
    run these columns, as typed nulls where a shard lacks them;
    docs/specification.md ("GA4 export vintages") says what the models do without
    each. A column added here is read as null from older shards at once.
-#}
{% macro ga4_later_columns() -%}
    {{ return([
        {
            'name': 'collected_traffic_source',
            'added': '2023-05',
            'fields': {
                'manual_source': 'string',
                'manual_medium': 'string',
                'manual_campaign_name': 'string',
                'gclid': 'string',
            },
        },
        {
            'name': 'is_active_user',
            'added': '2023-07-17',
            'type': 'boolean',
        },
        {
            'name': 'session_traffic_source_last_click',
            'added': '2024-07',
            'fields': {
                'manual_campaign': {
                    'campaign_name': 'string',
                    'source': 'string',
                    'medium': 'string',
                },
            },
        },
    ]) }}
{%- endmacro %}
