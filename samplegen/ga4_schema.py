"""The GA4 BigQuery export's schema: Google's column names and types, nested ones included.

Only the columns the project reads or that a real export always has; the types are
the ones BigQuery gives them, so a shard loads into BigQuery as it is.
"""

from __future__ import annotations

import pyarrow as pa

PARAM_VALUE_TYPE = pa.struct([
    ("string_value", pa.string()),
    ("int_value", pa.int64()),
    ("float_value", pa.float64()),
    ("double_value", pa.float64()),
])
EVENT_PARAMS_TYPE = pa.list_(pa.struct([("key", pa.string()), ("value", PARAM_VALUE_TYPE)]))
DEVICE_TYPE = pa.struct([
    ("category", pa.string()),
    ("mobile_brand_name", pa.string()),
    ("mobile_model_name", pa.string()),
    ("mobile_marketing_name", pa.string()),
    ("mobile_os_hardware_model", pa.string()),
    ("operating_system", pa.string()),
    ("operating_system_version", pa.string()),
    ("vendor_id", pa.string()),
    ("advertising_id", pa.string()),
    ("language", pa.string()),
    ("is_limited_ad_tracking", pa.string()),
    ("time_zone_offset_seconds", pa.int64()),
    ("browser", pa.string()),
    ("browser_version", pa.string()),
    ("web_info", pa.struct([
        ("browser", pa.string()),
        ("browser_version", pa.string()),
        ("hostname", pa.string()),
    ])),
])
GEO_TYPE = pa.struct([
    ("city", pa.string()),
    ("country", pa.string()),
    ("continent", pa.string()),
    ("region", pa.string()),
    ("sub_continent", pa.string()),
    ("metro", pa.string()),
])
TRAFFIC_SOURCE_TYPE = pa.struct([("name", pa.string()), ("medium", pa.string()), ("source", pa.string())])
COLLECTED_TRAFFIC_SOURCE_FIELDS = (
    "manual_campaign_id", "manual_campaign_name", "manual_source", "manual_medium",
    "manual_term", "manual_content", "manual_source_platform", "manual_creative_format",
    "manual_marketing_tactic", "gclid", "dclid", "srsltid",
)
COLLECTED_TRAFFIC_SOURCE_TYPE = pa.struct([(f, pa.string()) for f in COLLECTED_TRAFFIC_SOURCE_FIELDS])

# The session's own attribution, which exports carry from mid-2024 on (older
# shards lack the column): the manual (UTM or auto-tagged) campaign, the Google Ads
# campaign and the cross-channel campaign of the session's last non-direct click.
LAST_CLICK_MANUAL_CAMPAIGN_FIELDS = (
    "campaign_id", "campaign_name", "source", "medium", "term", "content", "source_platform",
    "creative_format", "marketing_tactic",
)
LAST_CLICK_GOOGLE_ADS_FIELDS = (
    "customer_id", "account_name", "campaign_id", "campaign_name", "ad_group_id", "ad_group_name",
)
LAST_CLICK_CROSS_CHANNEL_FIELDS = (
    "campaign_id", "campaign_name", "source", "medium", "source_platform", "default_channel_group",
    "primary_channel_group",
)
SESSION_TRAFFIC_SOURCE_LAST_CLICK_TYPE = pa.struct([
    ("manual_campaign", pa.struct([(f, pa.string()) for f in LAST_CLICK_MANUAL_CAMPAIGN_FIELDS])),
    ("google_ads_campaign", pa.struct([(f, pa.string()) for f in LAST_CLICK_GOOGLE_ADS_FIELDS])),
    ("cross_channel_campaign", pa.struct([(f, pa.string()) for f in LAST_CLICK_CROSS_CHANNEL_FIELDS])),
])
LAST_CLICK_COLUMN = "session_traffic_source_last_click"

GA4_SCHEMA = pa.schema([
    ("event_date", pa.string()),
    ("event_timestamp", pa.int64()),
    ("event_name", pa.string()),
    ("event_params", EVENT_PARAMS_TYPE),
    ("event_previous_timestamp", pa.int64()),
    ("event_value_in_usd", pa.float64()),
    ("event_bundle_sequence_id", pa.int64()),
    ("event_server_timestamp_offset", pa.int64()),
    ("user_id", pa.string()),
    ("user_pseudo_id", pa.string()),
    ("user_first_touch_timestamp", pa.int64()),
    ("device", DEVICE_TYPE),
    ("geo", GEO_TYPE),
    ("traffic_source", TRAFFIC_SOURCE_TYPE),
    ("stream_id", pa.string()),
    ("platform", pa.string()),
    ("collected_traffic_source", COLLECTED_TRAFFIC_SOURCE_TYPE),
    ("is_active_user", pa.bool_()),
    (LAST_CLICK_COLUMN, SESSION_TRAFFIC_SOURCE_LAST_CLICK_TYPE),
])


def _without(schema: pa.Schema, *names: str) -> pa.Schema:
    for name in names:
        schema = schema.remove(schema.get_field_index(name))
    return schema


# The export's shapes over the years, by the columns Google added (docs/specification.md,
# "GA4 export vintages"): a 2020 web shard has neither collected_traffic_source nor
# is_active_user (campaign tags live only in the event parameters); 2023 added both;
# mid-2024 added session_traffic_source_last_click.
GA4_SCHEMA_2024 = GA4_SCHEMA
GA4_SCHEMA_2023 = _without(GA4_SCHEMA, LAST_CLICK_COLUMN)
GA4_SCHEMA_2020 = _without(GA4_SCHEMA_2023, "collected_traffic_source", "is_active_user")
GA4_SCHEMAS = {"2020": GA4_SCHEMA_2020, "2023": GA4_SCHEMA_2023, "2024": GA4_SCHEMA_2024}
