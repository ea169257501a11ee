"""The GA4 BigQuery export: one Parquet shard per local day, ``<ga4>/events_YYYYMMDD.parquet``.

A shard holds the day's events in its vintage's schema, sorted by event_timestamp.
``event_date`` is the Asia/Seoul date (= the file's date), ``event_timestamp``
microseconds since the epoch, UTC. Anonymous visitors (``user_pseudo_id``) arrive from
channels, have sessions (first_visit on the first one, session_start, page_view,
user_engagement with engagement_time_msec), a few sign up (``sign_up`` at the member's
signup_at; every later event carries the member's ``user_id``), some pay (``purchase``
at first_paid_at); return visits decay.

The export's vintages (``samplegen.ga4_schema.GA4_SCHEMAS``): by default the range
spans them as a property's history does. The first SHAPE_2020_DAYS days are 2020
shards: no ``collected_traffic_source`` and no ``is_active_user`` column, campaign tags
only in the event parameters ``source`` / ``medium`` / ``campaign`` (and ``gclid``),
which the web tag writes on the landing page's events in every vintage. Then 2023
shards (both columns; ``is_active_user`` still null until day
IS_ACTIVE_USER_NULL_DAYS, as before 2023-07-17), and from day LAST_CLICK_ABSENT_DAYS
on 2024 shards with ``session_traffic_source_last_click``: the session's last
non-direct click (``World.s_last_click_channel``). ``ga4_schema`` "2020", "2023" or
"2024" writes every day in that one shape. ``session_engaged`` is an int parameter
during the first IS_ACTIVE_USER_NULL_DAYS days and a string one afterwards. About 1
in 2000 rows is an exact duplicate of its neighbour, as in real exports.

Traffic sources, as GA4 records them: every event carries the visitor's first-user
``traffic_source`` (the channel of their first visit); a session from a tagged
channel carries its UTM values (and, for paid search, a gclid) in
``collected_traffic_source`` where the shard has it; the landing page of an organic
or referral session has the channel's site as ``page_referrer``; a direct session
has neither.

An app stream: APP_SHARE of the visitors on a phone use the Firebase app. Their
events go to APP_STREAM_ID with platform ANDROID or IOS: ``first_open`` and
``screen_view`` instead of ``first_visit`` and ``page_view``, no page parameters, no
campaign data, and, in 2020 shards, no session parameters (older app exports often
lack ``ga_session_id``). An app visitor from an untagged channel was acquired by the
store: first-user ``google-play / organic`` with a null campaign name.

With ``--messy``, consent mode: about 1 page view in 40 is also sent as a cookieless
ping, an event without user_pseudo_id, user_id or session parameters.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from samplegen.catalog import (
    APP_SCREENS,
    APP_SHARE,
    APP_STORE_SOURCES,
    APP_STREAM_ID,
    CHANNELS,
    DEVICES,
    DIRECT_CHANNEL,
    GEOS,
    KRW_PER_USD,
    MEMBER_ID_BASE,
    PAGES,
    SITE,
    STREAM_ID,
)
from samplegen.clock import NONE_US, SECOND_US
from samplegen.columns import Strings, constant, lookup_struct
from samplegen.events import (
    EV_FIRST_VISIT,
    EV_PAGE_VIEW,
    EV_PURCHASE,
    EV_SESSION_START,
    EV_SIGN_UP,
    EV_USER_ENGAGEMENT,
    EVENT_NAMES,
    DayEvents,
    expand_sessions,
)
from samplegen.export_gaps import NO_GAPS, ExportGaps, half_exported
from samplegen.ga4_schema import (
    COLLECTED_TRAFFIC_SOURCE_TYPE,
    DEVICE_TYPE,
    EVENT_PARAMS_TYPE,
    GA4_SCHEMAS,
    GEO_TYPE,
    LAST_CLICK_COLUMN,
    PARAM_VALUE_TYPE,
    SESSION_TRAFFIC_SOURCE_LAST_CLICK_TYPE,
    TRAFFIC_SOURCE_TYPE,
)
from samplegen.plans import first_payment_prices
from samplegen.randomness import STREAM_CONSENT, STREAM_DUPLICATES, hash_uniform, stream
from samplegen.world import World, gather

SHAPE_2020_DAYS = 10  # mixed: first days of the range are 2020 shards
IS_ACTIVE_USER_NULL_DAYS = 20  # first days of the range look like a pre-2023-07 export
LAST_CLICK_ABSENT_DAYS = 25  # mixed: first days of the range look like a pre-mid-2024 export
GA4_SCHEMA_CHOICES = ("mixed", "2020", "2023", "2024")
CONSENT_PING_SHARE = 1 / 40  # --messy: page views also sent as cookieless pings
EV_APP_NAMES = {"first_visit": "first_open", "page_view": "screen_view"}


def day_vintage(day_index: int, ga4_schema: str = "mixed") -> str:
    """The export vintage ("2020", "2023", "2024") of the range's day `day_index`."""
    if ga4_schema not in GA4_SCHEMA_CHOICES:
        raise ValueError(f"ga4_schema must be one of {', '.join(GA4_SCHEMA_CHOICES)}, got {ga4_schema!r}.")
    if ga4_schema != "mixed":
        return ga4_schema
    if day_index < SHAPE_2020_DAYS:
        return "2020"
    return "2023" if day_index < LAST_CLICK_ABSENT_DAYS else "2024"


def write_ga4_days(world: World, folder: Path, seed: int, messy: bool = False,
                   ga4_schema: str = "mixed", gaps: ExportGaps = NO_GAPS) -> tuple[list[Path], int]:
    """Write one shard per day of the world's range, but none for a missing day of
    `gaps` and half a shard for its half-exported days (samplegen.export_gaps);
    return the paths and the rows written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    events = 0
    for day_index in range(world.days):
        day = world.start + timedelta(days=day_index)
        if day in gaps.missing:
            continue
        table = build_ga4_day(world, day_index, seed, messy, ga4_schema)
        if day in gaps.half:
            table = half_exported(table, day)
        path = folder / f"events_{day:%Y%m%d}.parquet"
        pq.write_table(table, path, compression="zstd")
        paths.append(path)
        events += table.num_rows
    return paths, events


def build_ga4_day(world: World, day_index: int, seed: int, messy: bool = False,
                  ga4_schema: str = "mixed") -> pa.Table:
    """The events of one local day, as a table in the day's vintage of GA4_SCHEMAS."""
    day = world.start + timedelta(days=day_index)
    vintage = day_vintage(day_index, ga4_schema)
    ev = expand_sessions(world, day_index)
    n = len(ev.kind)
    strings = Strings()
    visitors, local = np.unique(ev.visitor, return_inverse=True)
    is_app = app_visitors(world)[ev.visitor]
    null_active = ga4_schema == "mixed" and day_index < IS_ACTIVE_USER_NULL_DAYS
    is_active = _is_active_user(ev, local, len(visitors), null_active)
    pseudo_ids = [f"{r}.{t}" for r, t in zip(world.v_pseudo_rand[visitors].tolist(),
                                              (world.v_arrival_us[visitors] // SECOND_US).tolist())]
    pseudo_codes = strings.codes(pseudo_ids)[local]
    user_codes = _user_id_codes(ev, world, strings)
    event_params, purchase_krw = _event_params(ev, world, strings, is_app, with_session_ids=vintage != "2020")
    ios = np.array([d["operating_system"] == "iOS" for d, _ in DEVICES])[world.v_device[ev.visitor]]
    first_user = [{"name": c.name, "medium": c.medium, "source": c.source} for c in CHANNELS]
    # An app visitor from an untagged channel came through the store.
    store_acquired = is_app & ~np.array([c.utm or c.gclid for c in CHANNELS])[world.v_channel[ev.visitor]]
    traffic_source = lookup_struct(
        TRAFFIC_SOURCE_TYPE, first_user + list(APP_STORE_SOURCES),
        np.where(store_acquired, len(CHANNELS) + ios, world.v_channel[ev.visitor]).astype(np.int64),
    )
    device = lookup_struct(DEVICE_TYPE, [d for d, _ in DEVICES], world.v_device[ev.visitor].astype(np.int64))
    geo = lookup_struct(GEO_TYPE, [g for g, *_ in GEOS], world.v_geo[ev.visitor].astype(np.int64))

    bundle = 1_000_000_000 + (hash_uniform(ev.session_seed ^ np.uint64(0xA5A5)) * 9e9).astype(np.int64) \
        + np.maximum(ev.page_number, 0)
    server_offset = (hash_uniform(ev.session_seed + ev.kind.astype(np.uint64)) * 900_000).astype(np.int64)
    is_purchase = ~np.isnan(purchase_krw)
    names = np.array(list(EVENT_NAMES), dtype=object)[ev.kind]
    app_names = np.array([EV_APP_NAMES.get(name, name) for name in EVENT_NAMES], dtype=object)[ev.kind]

    columns = {
        "event_date": constant(day.strftime("%Y%m%d"), pa.string(), n),
        "event_timestamp": pa.array(ev.timestamp_us, type=pa.int64()),
        "event_name": pa.array(np.where(is_app, app_names, names), type=pa.string()),
        "event_params": event_params,
        "event_previous_timestamp": pa.nulls(n, type=pa.int64()),
        "event_value_in_usd": pa.array(np.where(is_purchase, purchase_krw / KRW_PER_USD, 0.0),
                                       mask=~is_purchase, type=pa.float64()),
        "event_bundle_sequence_id": pa.array(bundle, type=pa.int64()),
        "event_server_timestamp_offset": pa.array(server_offset, type=pa.int64()),
        "user_id": strings.column(user_codes),
        "user_pseudo_id": strings.column(pseudo_codes),
        "user_first_touch_timestamp": pa.array(world.v_arrival_us[ev.visitor], type=pa.int64()),
        "device": device,
        "geo": geo,
        "traffic_source": traffic_source,
        "stream_id": pa.array(np.where(is_app, APP_STREAM_ID, STREAM_ID), type=pa.string()),
        "platform": pa.array(np.where(is_app, np.where(ios, "IOS", "ANDROID"), "WEB"), type=pa.string()),
        "collected_traffic_source": _collected_traffic_source(ev, strings, is_app),
        "is_active_user": is_active,
        LAST_CLICK_COLUMN: _session_last_click(ev, world, is_app),
    }
    schema = GA4_SCHEMAS[vintage]
    table = pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)
    if messy:
        table = _with_consent_pings(table, seed, day_index)
    return _with_duplicates(table, seed, day_index)


def app_visitors(world: World) -> np.ndarray:
    """Per visitor, whether they use the app (APP_SHARE of the visitors on a phone)."""
    on_phone = np.array([d["category"] == "mobile" for d, _ in DEVICES])[world.v_device]
    return on_phone & (hash_uniform(world.v_pseudo_rand.astype(np.uint64) ^ np.uint64(0xA99)) < APP_SHARE)


def _is_active_user(ev: DayEvents, local: np.ndarray, n_visitors: int, null: bool) -> pa.Array:
    """is_active_user per event; `local` is each event's visitor among the day's visitors."""
    # The visitor was active that day (an engaged session, or new), which is also what
    # Google's definition finds where the column is null.
    active_event = ev.engaged | (ev.kind == EV_USER_ENGAGEMENT) | (ev.kind == EV_FIRST_VISIT)
    active = np.bincount(local, weights=active_event, minlength=n_visitors) > 0
    return pa.array(active[local], mask=np.full(len(ev.kind), null), type=pa.bool_())


def _user_id_codes(ev: DayEvents, world: World, strings: Strings) -> np.ndarray:
    """user_id per event (string codes, -1 = null): from the sign_up on, for members who have one."""
    member = np.maximum(ev.member, 0)
    logged_in = (ev.member >= 0) & (gather(world.m_user_id, ev.member, 0) != 0)
    logged_in &= ev.timestamp_us >= gather(world.m_signup_us, ev.member, NONE_US)
    users, user_local = np.unique(member[logged_in], return_inverse=True)
    user_codes = np.full(len(ev.kind), -1, dtype=np.int64)
    user_codes[logged_in] = strings.codes(format(u, "016x") for u in world.m_user_id[users].tolist())[user_local]
    return user_codes


def _event_params(ev: DayEvents, world: World, strings: Strings, is_app: np.ndarray,
                  with_session_ids: bool = True) -> tuple[pa.ListArray, np.ndarray]:
    """event_params for each event, and each purchase's value in KRW. App events have no
    page parameters, and no session ones where `with_session_ids` is false."""
    n = len(ev.kind)
    rows = np.arange(n)
    web = ~is_app
    blocks: list[tuple[np.ndarray, int, np.ndarray | None, np.ndarray | None, np.ndarray | None]] = []

    def add(at: np.ndarray, key: str, s_codes: np.ndarray | None = None, ints: np.ndarray | None = None,
            doubles: np.ndarray | None = None) -> None:
        blocks.append((at, strings.code(key), s_codes, ints, doubles))

    sessions = rows if with_session_ids else np.flatnonzero(web)
    add(sessions, "ga_session_id", ints=(ev.session_start_us // SECOND_US)[sessions])
    add(sessions, "ga_session_number", ints=ev.session_number[sessions])
    if ev.day_index < IS_ACTIVE_USER_NULL_DAYS:
        add(rows, "session_engaged", ints=ev.engaged.astype(np.int64))
    else:
        add(rows, "session_engaged", s_codes=np.where(ev.engaged, strings.code("1"), strings.code("0")))
    add(rows[web], "page_location", s_codes=strings.codes([SITE + path for path, _ in PAGES])[ev.page[web]])
    add(rows[web], "page_title", s_codes=strings.codes([title for _, title in PAGES])[ev.page[web]])
    screen_view = np.flatnonzero(is_app & (ev.kind == EV_PAGE_VIEW))
    add(screen_view, "firebase_screen", s_codes=strings.codes(APP_SCREENS)[ev.page[screen_view]])
    pv = np.flatnonzero(web & (ev.kind == EV_PAGE_VIEW))
    # The landing page's referrer is the channel's; later pages are referred by the site.
    channel_referrer = np.array([strings.code(c.referrer) if c.referrer else -1 for c in CHANNELS])
    referrer = np.where(ev.page_number[pv] == 0, channel_referrer[ev.session_channel[pv]],
                        strings.code(SITE + "/"))
    add(pv[referrer >= 0], "page_referrer", s_codes=referrer[referrer >= 0])
    # The web tag copies the landing page's utm_* tags (and gclid) into the parameters
    # source / medium / campaign of the events logged on it, in every vintage.
    tagged = np.array([c.utm for c in CHANNELS])[ev.session_channel]
    landing = (ev.page_number == 0) | np.isin(ev.kind, (EV_FIRST_VISIT, EV_SESSION_START))
    utm = np.flatnonzero(web & tagged & landing)
    channel = ev.session_channel[utm]
    add(utm, "source", s_codes=strings.codes([c.source for c in CHANNELS])[channel])
    add(utm, "medium", s_codes=strings.codes([c.medium for c in CHANNELS])[channel])
    add(utm, "campaign", s_codes=strings.codes([c.name for c in CHANNELS])[channel])
    clicked = utm[np.array([c.gclid for c in CHANNELS])[channel]]
    add(clicked, "gclid", s_codes=strings.codes(_gclids(ev.session_seed[clicked])))
    ue = np.flatnonzero(ev.kind == EV_USER_ENGAGEMENT)
    add(ue, "engagement_time_msec", ints=ev.engagement_msec[ue])
    su = np.flatnonzero(ev.kind == EV_SIGN_UP)
    kakao = hash_uniform(ev.session_seed[su] ^ np.uint64(77)) < 0.6
    add(su, "method", s_codes=np.where(kakao, strings.code("kakao"), strings.code("email")))
    pu = np.flatnonzero(ev.kind == EV_PURCHASE)
    payer = ev.member[pu]
    value = first_payment_prices(world, payer).astype(np.float64)
    add(pu, "transaction_id", s_codes=strings.codes([f"T{MEMBER_ID_BASE + 1 + m}-1" for m in payer.tolist()]))
    add(pu, "value", doubles=value)
    add(pu, "currency", s_codes=np.full(len(pu), strings.code("KRW")))

    def stacked(i: int, fill: float, dtype: type) -> np.ndarray:
        return np.concatenate([np.full(len(b[0]), fill, dtype=dtype) if b[i] is None
                               else np.broadcast_to(np.asarray(b[i]), len(b[0])).astype(dtype) for b in blocks])

    at = stacked(0, 0, np.int64)
    key, s_codes = stacked(1, -1, np.int64), stacked(2, -1, np.int64)
    ints, doubles = stacked(3, 0, np.int64), stacked(4, np.nan, np.float64)
    int_null = np.concatenate([np.full(len(b[0]), b[3] is None) for b in blocks])
    order = np.argsort(at, kind="stable")  # per event, parameters in the order added
    at, key, s_codes, ints, doubles, int_null = (x[order] for x in (at, key, s_codes, ints, doubles, int_null))
    value_struct = pa.StructArray.from_arrays(
        [
            strings.column(s_codes),
            pa.array(ints, mask=int_null, type=pa.int64()),
            pa.nulls(len(at), type=pa.float64()),
            pa.array(doubles, mask=np.isnan(doubles), type=pa.float64()),
        ],
        fields=list(PARAM_VALUE_TYPE),
    )
    entries = pa.StructArray.from_arrays([strings.column(key), value_struct],
                                         fields=list(EVENT_PARAMS_TYPE.value_type))
    offsets = np.r_[0, np.cumsum(np.bincount(at, minlength=n))].astype(np.int32)
    purchase_value = np.full(n, np.nan)
    purchase_value[pu] = value
    return pa.ListArray.from_arrays(pa.array(offsets), entries, type=EVENT_PARAMS_TYPE), purchase_value


def _gclids(session_seed: np.ndarray) -> list[str]:
    """The Google Ads click id of each session's landing (one per session)."""
    return [f"Cj0KCQiA{x:012d}" for x in (session_seed % np.uint64(10**12)).tolist()]


def _collected_traffic_source(ev: DayEvents, strings: Strings, is_app: np.ndarray) -> pa.StructArray:
    """The session's campaign tags; null when it had none (and on the app's events)."""
    tagged = np.array([c.utm or c.gclid for c in CHANNELS], dtype=bool)[ev.session_channel] & ~is_app
    has_gclid = np.array([c.gclid for c in CHANNELS], dtype=bool)[ev.session_channel]
    gclid_codes = np.full(len(ev.kind), -1, dtype=np.int64)
    gclid_codes[has_gclid] = strings.codes(_gclids(ev.session_seed[has_gclid]))
    return lookup_struct(
        COLLECTED_TRAFFIC_SOURCE_TYPE,
        [{"manual_source": c.source, "manual_medium": c.medium,
          "manual_campaign_name": c.name if c.utm else None} for c in CHANNELS],
        ev.session_channel, overrides={"gclid": strings.column(gclid_codes)}, mask=~tagged,
    )


def _session_last_click(ev: DayEvents, world: World, is_app: np.ndarray) -> pa.StructArray:
    """session_traffic_source_last_click per event: the session's last non-direct click
    (World.s_last_click_channel); the app's sessions carry no campaign data, so direct."""
    channel = np.where(is_app, DIRECT_CHANNEL, world.s_last_click_channel[ev.session])
    return lookup_struct(
        SESSION_TRAFFIC_SOURCE_LAST_CLICK_TYPE,
        [{"manual_campaign": {"source": c.source, "medium": c.medium, "campaign_name": c.name},
          "google_ads_campaign": {"campaign_name": c.name} if c.gclid else {}} for c in CHANNELS],
        channel,
    )


def _with_consent_pings(table: pa.Table, seed: int, day_index: int) -> pa.Table:
    """The table plus a cookieless copy of some page views (consent mode without consent):
    no user_pseudo_id, user_id, first-touch time or session parameters."""
    rng = stream(seed, STREAM_CONSENT, day_index)
    page_views = np.flatnonzero(np.asarray(pc.equal(table.column("event_name"), "page_view")))
    picked = page_views[rng.random(len(page_views)) < CONSENT_PING_SHARE]
    pings = table.take(pa.array(picked, type=pa.int64()))
    session_keys = {"ga_session_id", "ga_session_number", "session_engaged"}
    params = [[p for p in row if p["key"] not in session_keys] for row in pings.column("event_params").to_pylist()]
    n = pings.num_rows
    for name, values in (
        ("event_params", pa.array(params, type=EVENT_PARAMS_TYPE)),
        ("user_id", pa.nulls(n, type=pa.string())),
        ("user_pseudo_id", pa.nulls(n, type=pa.string())),
        ("user_first_touch_timestamp", pa.nulls(n, type=pa.int64())),
    ):
        pings = pings.set_column(pings.schema.get_field_index(name), name, values)
    merged = pa.concat_tables([table, pings])
    order = np.argsort(np.asarray(merged.column("event_timestamp")), kind="stable")
    return merged.take(pa.array(order))


def _with_duplicates(table: pa.Table, seed: int, day_index: int) -> pa.Table:
    """The table with about 1 row in 2000 repeated next to itself, as real exports have."""
    n = table.num_rows
    rng = stream(seed, STREAM_DUPLICATES, day_index)
    duplicated = np.flatnonzero(rng.random(n) < 1 / 2000)
    if len(duplicated):
        table = table.take(pa.array(np.sort(np.concatenate([np.arange(n), duplicated]))))
    return table
