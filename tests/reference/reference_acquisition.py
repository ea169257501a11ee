"""An independent computation of the acquisition marts, for the end-to-end tests.

Like tests/reference/reference_metrics.py it reads the generated files directly (GA4 Parquet
shards, membership exports) and was written from the specification
(docs/specification.md, "Acquisition (channels and sessions)", and the docs blocks
of dbt_project/models/docs/acquisition_metrics.md), not from the dbt SQL. The
default channel group rules are written here again from Google's "[GA4] Default
channel group" help page; only the source-category list is shared with dbt, read
from the seed file, because it is a published list of facts and not logic.

Readings (the same as the specification's "Readings we chose"):

1. Exact duplicate events (equal in every column) count once.
2. A device's first-user source / medium / campaign is the traffic_source of its
   earliest event; ties at that instant go to the smallest (source, medium, name),
   a missing value sorting as ''. A missing part reads "(not set)", and the channel
   group is that of the triple as it reads.
3. A member's device: of the user_pseudo_ids on events carrying the member's user_id,
   the smallest user_first_touch_timestamp (missing last), then the earliest event,
   then the smallest id. No user_id or no such device: "(not linked)" in all four.
4. A session's own touch: the first event (by time, then the smallest values)
   carrying session_traffic_source_last_click.manual_campaign.source; else the first
   with any of collected_traffic_source's manual_source, manual_medium,
   manual_campaign_name or gclid (gclid: google / cpc); else the first with any of
   the event parameters source, medium, campaign, gclid (gclid: google / cpc); else
   the first whose page_referrer's host differs from its page_location's host (a
   host on the list is what the list says; an unlisted host whose dot-separated
   labels include a search engine named on the list without a dot is that engine:
   <engine> / organic / (organic); otherwise <host> / referral / (referral)); else
   (direct) / (none) / (direct). A missing part reads "(not set)".
   The session's source / medium / campaign (session scope): the touch, except that
   a direct touch not from the last-click column takes the touch of the same
   (stream_id, user_pseudo_id)'s latest earlier session (by start time, then
   ga_session_id) whose touch is not direct, when that session's date is at most
   SESSION_LOOKBACK_DAYS before; "earlier_session" is then the basis.
5. A session's country: geo.country of its first event that has one (by time, then
   the smallest value).
6. Engaged session: session_engaged "1" or 1 on any event, or >= 10,000 ms of
   engagement_time_msec in total, or >= 2 page_view events.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

import tests.reference.reference_metrics as ref
from tests.reference.shards import distinct_shard_rows, event_day

SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "ga4_source_categories.csv"
NOT_LINKED = "(not linked)"
NOT_SET = "(not set)"
SESSION_LOOKBACK_DAYS = 30  # the dbt var ga4_session_lookback_days' default

# --- Google's default channel group rules --------------------------------------------

PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
EMAIL = {"email", "e-mail", "e_mail", "e mail"}
SOCIAL_MEDIUMS = {"social", "social-network", "social-media", "sm", "social network", "social media"}


def source_categories(path: Path = SEED) -> dict[str, str]:
    """Google's source-category list: lowercased source -> SEARCH / SOCIAL / SHOPPING / VIDEO."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["source"].lower(): row["source_category"].removeprefix("SOURCE_CATEGORY_")
                for row in csv.DictReader(handle)}


def channel_group(source: str | None, medium: str | None, campaign: str | None,
                  categories: dict[str, str]) -> str:
    """GA4's default channel group, Google's rules for manual traffic in Google's order."""
    s, m, c = ((v or "").lower() for v in (source, medium, campaign))
    category = categories.get(s) if s else None
    paid = bool(PAID_MEDIUM.match(m)) if m else False
    shop_campaign = bool(SHOPPING_CAMPAIGN.match(c)) if c else False
    if s == "(direct)" and m in ("(not set)", "(none)"):
        return "Direct"
    if "cross-network" in c:
        return "Cross-network"
    if (category == "SHOPPING" or shop_campaign) and paid:
        return "Paid Shopping"
    for name, label in (("SEARCH", "Paid Search"), ("SOCIAL", "Paid Social"), ("VIDEO", "Paid Video")):
        if category == name and paid:
            return label
    if m in ("display", "banner", "expandable", "interstitial", "cpm"):
        return "Display"
    if paid:
        return "Paid Other"
    if category == "SHOPPING" or shop_campaign:
        return "Organic Shopping"
    if category == "SOCIAL" or m in SOCIAL_MEDIUMS:
        return "Organic Social"
    if category == "VIDEO" or "video" in m:
        return "Organic Video"
    if category == "SEARCH" or m == "organic":
        return "Organic Search"
    if m in ("referral", "app", "link"):
        return "Referral"
    if s in EMAIL or m in EMAIL:
        return "Email"
    if m == "affiliate":
        return "Affiliates"
    if m == "audio":
        return "Audio"
    if s == "sms" or m == "sms":
        return "SMS"
    if m.endswith("push") or "mobile" in m or "notification" in m or s == "firebase":
        return "Mobile Push Notifications"
    return "Unassigned"


# --- GA4 events -----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    event_date: dt.date
    timestamp: int
    name: str
    stream_id: str | None
    user_id: str | None
    pseudo: str | None
    first_touch: int | None
    session_id: int | None
    engagement_msec: float | None
    engaged_flag: bool
    page_location: str | None
    page_referrer: str | None
    ts_source: str | None
    ts_medium: str | None
    ts_name: str | None
    collected: tuple[str | None, str | None, str | None, str | None]  # source, medium, campaign, gclid
    last_click: tuple[str | None, str | None, str | None]  # source, medium, campaign
    params: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)  # same
    country: str | None = None


def _param(params: list[dict] | None, key: str) -> object:
    for p in params or []:
        if p.get("key") == key:
            value = p.get("value") or {}
            for field in ("string_value", "int_value", "double_value", "float_value"):
                if value.get(field) is not None:
                    return value[field]
    return None


def read_events(ga4_dir: Path) -> list[Event]:
    """Every event of the shards, exact duplicates once (a column a shard lacks reads as null)."""
    events: list[Event] = []
    for path in sorted(Path(ga4_dir).glob("events_*.parquet")):
        for row in distinct_shard_rows(path):
            params = row.get("event_params")
            session = _param(params, "ga_session_id")
            traffic = row.get("traffic_source") or {}
            collected = row.get("collected_traffic_source") or {}
            manual = (row.get("session_traffic_source_last_click") or {}).get("manual_campaign") or {}
            events.append(Event(
                event_date=event_day(row["event_date"]),
                timestamp=row.get("event_timestamp") or 0,
                name=row["event_name"],
                stream_id=row.get("stream_id"),
                user_id=row.get("user_id"),
                pseudo=row.get("user_pseudo_id"),
                first_touch=row.get("user_first_touch_timestamp"),
                session_id=None if session is None else int(session),
                engagement_msec=ref._param_number(params, "engagement_time_msec"),
                engaged_flag=str(_param(params, "session_engaged")) == "1",
                page_location=_param(params, "page_location"),
                page_referrer=_param(params, "page_referrer"),
                ts_source=traffic.get("source"),
                ts_medium=traffic.get("medium"),
                ts_name=traffic.get("name"),
                collected=(collected.get("manual_source"), collected.get("manual_medium"),
                           collected.get("manual_campaign_name"), collected.get("gclid")),
                last_click=(manual.get("source"), manual.get("medium"), manual.get("campaign_name")),
                params=tuple(_text(_param(params, key)) for key in ("source", "medium", "campaign", "gclid")),
                country=(row.get("geo") or {}).get("country"),
            ))
    return events


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _key(value: str | None) -> str:
    return value or ""


def _shown(triple: tuple[str | None, ...]) -> tuple[str, ...]:
    """A triple as GA4 shows it: a missing part is (not set)."""
    return tuple(NOT_SET if v is None else v for v in triple)


# --- first-user acquisition -----------------------------------------------------------


def devices(events: list[Event], categories: dict[str, str]) -> dict[str, dict]:
    """Per user_pseudo_id: first event time, first touch, first-user triple and group."""
    out: dict[str, dict] = {}
    for e in events:
        if e.pseudo is None:
            continue
        triple = (e.ts_source, e.ts_medium, e.ts_name)
        rank = (e.timestamp, _key(e.ts_source), _key(e.ts_medium), _key(e.ts_name))
        d = out.get(e.pseudo)
        if d is None:
            out[e.pseudo] = {"first_event": e.timestamp, "first_touch": e.first_touch, "rank": rank,
                             "triple": triple}
            continue
        if rank < d["rank"]:
            d["rank"], d["triple"] = rank, triple
        d["first_event"] = min(d["first_event"], e.timestamp)
        if e.first_touch is not None:
            d["first_touch"] = e.first_touch if d["first_touch"] is None else min(d["first_touch"], e.first_touch)
    for d in out.values():
        d["triple"] = _shown(d["triple"])
        d["group"] = channel_group(*d["triple"], categories)
    return out


def member_acquisition(membership_dir: Path, events: list[Event], categories: dict[str, str],
                       settings: ref.Settings = ref.Settings()) -> pd.DataFrame:
    """dim_members' acquisition columns: member_id and first_user_source / medium /
    campaign / channel_group."""
    by_device = devices(events, categories)
    user_devices: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e.user_id is not None and e.pseudo is not None:
            user_devices[e.user_id].add(e.pseudo)
    rows = []
    for record in ref.latest_member_rows(membership_dir):
        user_id = (record.get("user_id") or "").strip() or None
        candidates = sorted(
            user_devices.get(user_id, set()) if user_id else set(),
            key=lambda p: (by_device[p]["first_touch"] is None, by_device[p]["first_touch"] or 0,
                           by_device[p]["first_event"], p),
        )
        if candidates:
            d = by_device[candidates[0]]
            values = (*d["triple"], d["group"])
        else:
            values = (NOT_LINKED,) * 4
        rows.append(dict(zip(
            ("member_id", "first_user_source", "first_user_medium", "first_user_campaign",
             "first_user_channel_group"), (record["member_id"].strip(), *values))))
    return pd.DataFrame(rows)


# --- sessions -------------------------------------------------------------------------


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url.strip().lower()).hostname or None
    except ValueError:
        return None


def referrer_source(host: str, categories: dict[str, str]) -> tuple[str, str, str]:
    """(source, medium, campaign) of an external referring host."""
    engines = {s for s, c in categories.items() if c == "SEARCH" and "." not in s}
    named = sorted(label for label in host.split(".") if label in engines)
    listed = categories.get(host)
    is_search = listed == "SEARCH" if listed is not None else bool(named)
    if is_search:
        return (named[0] if named else host), "organic", "(organic)"
    return host, "referral", "(referral)"


SESSION_COLUMNS = [
    "stream_id", "user_pseudo_id", "ga_session_id", "session_date", "landing_page_location", "country",
    "attribution_basis", "session_source", "session_medium", "session_campaign",
    "session_channel_group", "touch_basis", "touch_source", "touch_medium", "touch_campaign",
    "is_engaged_session", "engagement_seconds", "page_views", "has_sign_up", "has_purchase",
]
DAILY_COLUMNS = [
    "session_date", "channel_group", "sessions", "engaged_sessions", "engagement_rate",
    "average_engagement_seconds", "page_views", "sessions_with_sign_up", "sessions_with_purchase",
    "day_events_without_session",
]
DIRECT = ("(direct)", "(none)", "(direct)")
BASES = {1: "session_last_click", 2: "collected_traffic_source", 3: "event_parameters", 4: "page_referrer"}


def _tagged(values: tuple[str | None, str | None, str | None, str | None]) -> tuple | None:
    """(source, medium, campaign) of campaign data (source, medium, campaign, gclid), or None."""
    source, medium, campaign, gclid = values
    if all(v is None for v in values):
        return None
    return ("google", "cpc", campaign) if gclid is not None else (source, medium, campaign)


def touch(evs: list[Event], categories: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """A session's own touch: (basis, (source, medium, campaign)) by the rule order."""
    candidates = []
    for e in evs:
        if e.last_click[0] is not None:
            candidates.append((1, e.timestamp, *e.last_click))
        for rule, values in ((2, e.collected), (3, e.params)):
            tagged = _tagged(values)
            if tagged is not None:
                candidates.append((rule, e.timestamp, *tagged))
        ref_host = _host(e.page_referrer)
        if ref_host is not None and ref_host != (_host(e.page_location) or ""):
            candidates.append((4, e.timestamp, *referrer_source(ref_host, categories)))
    if not candidates:
        return "none", DIRECT
    best = min(candidates, key=lambda c: (c[0], c[1], _key(c[2]), _key(c[3]), _key(c[4])))
    return BASES[best[0]], _shown(best[2:])


def sessions(events: list[Event], categories: dict[str, str],
             lookback_days: int = SESSION_LOOKBACK_DAYS) -> pd.DataFrame:
    """fct_ga4__sessions' defining columns, one row per session."""
    grouped: dict[tuple, list[Event]] = defaultdict(list)
    for e in events:
        if e.pseudo is not None and e.session_id is not None:
            grouped[(e.stream_id, e.pseudo, e.session_id)].append(e)
    rows = []
    for key, evs in grouped.items():
        basis, triple = touch(evs, categories)
        page_views = sum(1 for e in evs if e.name == "page_view")
        engagement = sum(e.engagement_msec or 0 for e in evs)
        landing = min(((e.timestamp, e.page_location) for e in evs if e.page_location is not None),
                      default=(None, None))[1]
        rows.append({
            "stream_id": key[0], "user_pseudo_id": key[1], "ga_session_id": key[2],
            "session_date": min(e.event_date for e in evs),
            "start": min(e.timestamp for e in evs),
            "landing_page_location": landing,
            "country": min(((e.timestamp, e.country) for e in evs if e.country is not None),
                           default=(None, None))[1],
            "touch_basis": basis,
            "touch_source": triple[0], "touch_medium": triple[1], "touch_campaign": triple[2],
            "is_engaged_session": any(e.engaged_flag for e in evs) or engagement >= 10_000 or page_views >= 2,
            "engagement_seconds": engagement / 1000,
            "page_views": page_views,
            "has_sign_up": any(e.name == "sign_up" for e in evs),
            "has_purchase": any(e.name == "purchase" for e in evs),
        })
    _credit_direct_sessions(rows, lookback_days)
    for row in rows:
        row["session_channel_group"] = channel_group(
            row["session_source"], row["session_medium"], row["session_campaign"], categories)
    return pd.DataFrame(rows, columns=SESSION_COLUMNS)


def _credit_direct_sessions(rows: list[dict], lookback_days: int) -> None:
    """Set each session's session-scoped triple: its touch, or for a direct touch (not the
    export's last click) the latest earlier non-direct touch of its device in the lookback."""
    by_device: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        by_device[(row["stream_id"], row["user_pseudo_id"])].append(row)
    for device_rows in by_device.values():
        device_rows.sort(key=lambda r: (r["start"], r["ga_session_id"]))
        latest_click: dict | None = None
        for row in device_rows:
            own = (row["touch_source"], row["touch_medium"], row["touch_campaign"])
            is_direct = row["touch_source"] == "(direct)"
            credited = (is_direct and row["touch_basis"] != "session_last_click" and latest_click is not None
                        and (row["session_date"] - latest_click["session_date"]).days <= lookback_days)
            if credited:
                row["attribution_basis"] = "earlier_session"
                row["session_source"], row["session_medium"], row["session_campaign"] = (
                    latest_click["touch_source"], latest_click["touch_medium"], latest_click["touch_campaign"])
            else:
                row["attribution_basis"] = row["touch_basis"]
                row["session_source"], row["session_medium"], row["session_campaign"] = own
            if not is_direct:
                latest_click = row


def sessions_daily(events: list[Event], session_rows: pd.DataFrame) -> pd.DataFrame:
    """fct_ga4__sessions_daily."""
    sessionless: dict[dt.date, int] = defaultdict(int)
    for e in events:
        if e.pseudo is None or e.session_id is None:
            sessionless[e.event_date] += 1
    rows = []
    if session_rows.empty:
        return pd.DataFrame(rows, columns=DAILY_COLUMNS)
    for (day, group), part in session_rows.groupby(["session_date", "session_channel_group"]):
        n = len(part)
        rows.append({
            "session_date": day,
            "channel_group": group,
            "sessions": n,
            "engaged_sessions": int(part["is_engaged_session"].sum()),
            "engagement_rate": part["is_engaged_session"].sum() / n,
            "average_engagement_seconds": part["engagement_seconds"].sum() / n,
            "page_views": int(part["page_views"].sum()),
            "sessions_with_sign_up": int(part["has_sign_up"].sum()),
            "sessions_with_purchase": int(part["has_purchase"].sum()),
            "day_events_without_session": sessionless.get(day, 0),
        })
    return pd.DataFrame(rows, columns=DAILY_COLUMNS)


# --- the member funnel ----------------------------------------------------------------


def acquisition(members: pd.DataFrame, kpi_events: pd.DataFrame, acquired: pd.DataFrame,
                events: list[Event], device_rows: dict[str, dict], grain: str,
                settings: ref.Settings = ref.Settings(),
                membership_as_of: dt.date | None = None) -> pd.DataFrame:
    """fct_acquisition_weekly (grain "week") or fct_acquisition_monthly ("month");
    `membership_as_of` decides is_signup_to_paid_rate_mature, and with GA4's range which
    figures are None (reference_metrics, reading 10)."""
    first, as_of = ref.data_range(members, kpi_events)
    ga4_dates = [e.event_date for e in events]
    ga4_first, ga4_as_of = (min(ga4_dates), max(ga4_dates)) if ga4_dates else (None, None)
    group_of = dict(zip(acquired["member_id"], acquired["first_user_channel_group"]))
    people = [{**m, "group": group_of[m["member_id"]]} for m in members.to_dict("records")]
    new_visits = [(e.event_date, e.pseudo) for e in events
                  if e.pseudo is not None and e.name in ("first_visit", "first_open")]
    groups = sorted({p["group"] for p in people} | {device_rows[p]["group"] for _, p in new_visits})
    window = dt.timedelta(days=settings.conversion_window_days)
    key = "week_start" if grain == "week" else "month_start"
    rows = []
    for ps in ref.period_starts(first, as_of, grain):
        pe = ref.next_period(ps, grain) - dt.timedelta(days=1)
        for group in groups:
            mine = [p for p in people if p["group"] == group]
            signed = [p for p in mine if p["s"] is not None and ps <= p["s"] <= pe]
            new_users = len({p for d, p in new_visits if ps <= d <= pe and device_rows[p]["group"] == group})
            converted = sum(1 for p in signed if p["is_valid"] and p["fp"] is not None
                            and dt.timedelta(0) <= p["fp"] - p["s"] <= window)
            has_members = membership_as_of is not None and ps <= membership_as_of
            has_ga4 = ga4_as_of is not None and ps <= ga4_as_of and pe >= ga4_first
            signups = len(signed) if has_members else None
            shown_new_users = new_users if has_ga4 else None
            rows.append({
                key: ps,
                "channel_group": group,
                "new_users": shown_new_users,
                "signups": signups,
                "new_paying_members": sum(1 for p in mine if p["is_valid"] and p["fp"] is not None
                                          and ps <= p["fp"] <= pe) if has_members else None,
                "converted_signups": converted if has_members else None,
                "signup_rate": None if not shown_new_users or signups is None else signups / shown_new_users,
                "signup_to_paid_rate": None if not signups else converted / signups,
                "is_signup_to_paid_rate_mature": membership_as_of is not None
                and pe + window <= membership_as_of,
            })
    return pd.DataFrame(rows)


def compute_acquisition(membership_dir: Path, ga4_dir: Path, members: pd.DataFrame,
                        kpi_events: pd.DataFrame,
                        settings: ref.Settings = ref.Settings()) -> dict[str, pd.DataFrame]:
    """The acquisition marts (and dim_members' acquisition columns), keyed by model name."""
    categories = source_categories()
    events = read_events(ga4_dir)
    device_rows = devices(events, categories)
    acquired = member_acquisition(membership_dir, events, categories, settings)
    session_rows = sessions(events, categories)
    as_of = ref.membership_as_of_date(membership_dir, settings)
    return {
        "fct_acquisition_weekly": acquisition(members, kpi_events, acquired, events, device_rows,
                                              "week", settings, as_of),
        "fct_acquisition_monthly": acquisition(members, kpi_events, acquired, events, device_rows,
                                               "month", settings, as_of),
        "fct_ga4__sessions_daily": sessions_daily(events, session_rows),
        "dim_members_acquisition": acquired,
    }
