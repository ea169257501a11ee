"""An independent computation of the KPI metrics, for the end-to-end test.

It reads the generated files directly (membership CSV exports and GA4 Parquet day
shards), never the warehouse, and was written from the specification alone
(docs/specification.md and the metric definitions in dbt_project/models/docs/),
without reading the dbt SQL, so that a disagreement between the two points at a
real defect.

Readings of the specification where it leaves room (docs/specification.md,
"Readings we chose"; a mismatch found by the end-to-end test is reported, not bent
away):

1. Datetimes: every format of docs/specification.md, "Membership exports", is
   accepted: `YYYY-MM-DD HH:MM[:SS[.f]]`, `YYYY-MM-DDTHH:MM[:SS[.f]]`, with `/` or `.`
   as date separators, a date alone (midnight), each optionally followed by `Z` or a
   `+HH:MM` / `+HHMM` / `+HH` offset. A value without an offset is local time in the
   source time zone; values are converted to UTC and then dated in the reporting
   time zone. Surrounding whitespace is ignored; a blank value is null. A value in no
   listed format raises.
2. Files: decoded as UTF-8 (a byte-order mark is dropped), else as CP949. Headers are
   matched case-insensitively after trimming and turning spaces / hyphens into `_`,
   then mapped through the default alias list. Blank lines are skipped; a record
   with a different number of fields than the header is skipped (the loader rejects
   it). A record with an empty member_id is skipped.
3. Latest export wins: per member_id, the row from the file with the latest
   modification time; on equal times the later file name wins; within one file the
   later row wins.
4. `signups` counts every deduplicated member, valid lifecycle or not, and so does
   the denominator of `signup_to_paid_rate`; its numerator counts only members with a
   valid lifecycle (fp not empty and 0 <= fp - s <= conversion_window_days), like
   every paying metric. new_paying_members, paying_members_start / _end,
   churned_members, churn_rate and the retention cohorts exclude invalid lifecycles
   too.
5. `fp - s` in signup_to_paid_rate is a difference of reporting-time-zone dates, in
   days.
6. The as-of date is the latest date present in either source: the latest of every
   member's signup, first-paid and canceled dates (all deduplicated members) and
   every GA4 `event_date`. The first period is the one holding the earliest signup
   date or GA4 event_date (any event, active or not).
7. GA4 "active": an event counts when `is_active_user` is true; when it is null (or
   the shard has no such column, as 2020 shards do), when the event carries
   `session_engaged` "1" or 1, or `engagement_time_msec` > 0 (read from int_value,
   else double / float value, else a numeric string_value), or the event is
   first_visit / first_open. An event with `is_active_user` false never counts. A user is active in a period when any of
   their events in it counts. Events with a null user_pseudo_id are ignored.
8. Retention: cohorts are the months holding at least one valid payer's fp; each has
   rows for k = 0 .. the month holding the as-of date. stickiness is null when
   mau_28d is 0 (as every other rate is null on a zero denominator).
9. Paying spells (resubscription in the history): every export row with a first
   payment names a spell by its first paid date; the spell ends on the cancellation of
   the latest row (latest export, later row within one export) naming the same first
   payment. Spells whose end precedes their start are dropped; spells that overlap or
   touch (one starts on or before the day another ends) are one. Validity is the
   latest row's (c before fp is invalid, as before). A valid member's fp is the first
   spell's start and c the last spell's end; paying on day d means some spell has
   start <= d < end (or no end). new_paying_members counts first spells' starts,
   reactivated_members later spells' starts, churned_members spell ends.
10. Each source's own data range (docs block metric_membership_as_of_date and the
   ones after it): membership from the earliest signup to the latest export's
   as-of date (the newest export file's modification time as a reporting-time-zone
   date), GA4 from the earliest to the latest event_date of any shard. A period
   starting after the membership as-of date has None for every membership figure;
   a period with no day inside the GA4 range has None for every GA4 figure. A
   period is partial for a source when it does not lie wholly inside that range.
   signup_to_paid_rate is mature when pe + conversion_window_days <= the membership
   as-of date; a retention cell when its measured month's last day is on or before
   it, and no retention cell is measured in a month that starts after it. wau_7d / mau_28d warm up on the first 6 / 27 days after the first GA4 date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from tests.reference.shards import event_day, shard_rows

CANONICAL_COLUMNS = ("member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at")
REQUIRED_COLUMNS = ("member_id", "signup_at")

# The default header alias list (docs/specification.md, "Membership exports"),
# written here independently of loader/csvfile.py's. plan_price is an optional
# canonical column: no metric here reads it.
HEADER_ALIASES = {
    "회원id": "member_id",
    "회원번호": "member_id",
    "사용자id": "user_id",
    "가입일시": "signup_at",
    "가입일": "signup_at",
    "요금제": "plan",
    "플랜": "plan",
    "첫결제일시": "first_paid_at",
    "첫결제일": "first_paid_at",
    "해지일시": "canceled_at",
    "해지일": "canceled_at",
    "plan_price_krw": "plan_price",
    "요금": "plan_price",
    "결제금액": "plan_price",
}

_DATETIME = re.compile(
    r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


@dataclass(frozen=True)
class Settings:
    source_timezone: str = "Asia/Seoul"
    reporting_timezone: str = "Asia/Seoul"
    conversion_window_days: int = 7


# ---------------------------------------------------------------------------
# Membership exports
# ---------------------------------------------------------------------------


def parse_datetime(text: str | None, source_tz: ZoneInfo) -> dt.datetime | None:
    """One raw datetime text as an aware UTC datetime; None for a blank value."""
    if text is None or not text.strip():
        return None
    match = _DATETIME.match(text.strip())
    if match is None:
        raise ValueError(f"unrecognised datetime {text!r}")
    parts = match.groupdict()
    fraction = (parts["f"] or "0")[:6].ljust(6, "0")
    naive = dt.datetime(
        int(parts["y"]), int(parts["m"]), int(parts["d"]),
        int(parts["H"] or 0), int(parts["M"] or 0), int(parts["S"] or 0), int(fraction),
    )
    offset = parts["tz"]
    if offset is None:
        aware = naive.replace(tzinfo=source_tz)
    elif offset in ("Z", "z"):
        aware = naive.replace(tzinfo=dt.UTC)
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        aware = naive.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes)))
    return aware.astimezone(dt.UTC)


def local_date(moment: dt.datetime | None, reporting_tz: ZoneInfo) -> dt.date | None:
    return None if moment is None else moment.astimezone(reporting_tz).date()


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp949")


def canonical_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())
    return HEADER_ALIASES.get(key, key)


def read_export(path: Path) -> list[dict[str, str]]:
    """The records of one export, keyed by canonical column name."""
    reader = csv.reader(io.StringIO(decode(path.read_bytes()), newline=""))
    header: list[str] | None = None
    records = []
    for fields in reader:
        if not fields or all(not f.strip() for f in fields):
            continue
        if header is None:
            header = [canonical_header(f) for f in fields]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise ValueError(f"{path}: not a membership export, missing {missing}")
            continue
        if len(fields) != len(header):
            continue
        records.append(dict(zip(header, fields)))
    return records


def latest_member_rows(membership_dir: Path) -> list[dict[str, str]]:
    """One row per member_id: the most recently modified export wins."""
    files = sorted(
        (p for p in Path(membership_dir).iterdir() if p.suffix.lower() == ".csv"),
        key=lambda p: (os.stat(p).st_mtime_ns, p.name),
    )
    members: dict[str, dict[str, str]] = {}
    for path in files:  # oldest first, so later files overwrite earlier ones
        for record in read_export(path):
            member_id = (record.get("member_id") or "").strip()
            if member_id:
                members[member_id] = record
    return list(members.values())


Spell = tuple[dt.date, "dt.date | None"]  # (start, end); end None = still paying


def member_spells(membership_dir: Path, settings: Settings = Settings()) -> dict[str, list[Spell]]:
    """Per member, the merged paying spells of the export history (reading 9)."""
    source_tz = ZoneInfo(settings.source_timezone)
    reporting_tz = ZoneInfo(settings.reporting_timezone)
    files = sorted(
        (p for p in Path(membership_dir).iterdir() if p.suffix.lower() == ".csv"),
        key=lambda p: (os.stat(p).st_mtime_ns, p.name),
    )
    ends: dict[str, dict[dt.date, dt.date | None]] = {}
    for path in files:  # oldest first: a later export's row replaces an earlier one's
        rows = {(r.get("member_id") or "").strip(): r for r in read_export(path)}
        for member_id, record in rows.items():
            fp = local_date(parse_datetime(record.get("first_paid_at"), source_tz), reporting_tz)
            if member_id and fp is not None:
                c = local_date(parse_datetime(record.get("canceled_at"), source_tz), reporting_tz)
                ends.setdefault(member_id, {})[fp] = c
    spells: dict[str, list[Spell]] = {}
    for member_id, by_start in ends.items():
        merged: list[list] = []
        for start in sorted(by_start):
            end = by_start[start]
            if end is not None and end < start:
                continue
            if merged and (merged[-1][1] is None or start <= merged[-1][1]):
                last_end = merged[-1][1]
                merged[-1][1] = None if end is None or last_end is None else max(end, last_end)
            else:
                merged.append([start, end])
        spells[member_id] = [(a, b) for a, b in merged]
    return spells


def membership_as_of_date(membership_dir: Path, settings: Settings = Settings()) -> dt.date | None:
    """The latest export's as-of date: its modification time as a reporting-zone date (reading 10)."""
    times = [os.stat(p).st_mtime for p in Path(membership_dir).iterdir() if p.suffix.lower() == ".csv"]
    if not times:
        return None
    moment = dt.datetime.fromtimestamp(max(times), tz=dt.UTC)
    return moment.astimezone(ZoneInfo(settings.reporting_timezone)).date()


def paying_on(spells: list[Spell], day: dt.date) -> bool:
    """Inside one of the spells at the end of `day`."""
    return any(start <= day and (end is None or end > day) for start, end in spells)


def members_frame(membership_dir: Path, settings: Settings = Settings()) -> pd.DataFrame:
    """Deduplicated members with s / fp / c as reporting-time-zone dates, validity and
    paying spells (reading 9)."""
    source_tz = ZoneInfo(settings.source_timezone)
    reporting_tz = ZoneInfo(settings.reporting_timezone)
    history = member_spells(membership_dir, settings)
    rows = []
    for record in latest_member_rows(membership_dir):
        dates = {
            column: local_date(parse_datetime(record.get(column), source_tz), reporting_tz)
            for column in ("signup_at", "first_paid_at", "canceled_at")
        }
        s, fp, c = dates["signup_at"], dates["first_paid_at"], dates["canceled_at"]
        member_id = record["member_id"].strip()
        is_valid = not (c is not None and fp is not None and c < fp)
        spells = history.get(member_id, []) if is_valid else []
        if spells:
            fp, c = spells[0][0], spells[-1][1]
        rows.append({"member_id": member_id, "s": s, "fp": fp, "c": c, "is_valid": is_valid,
                     "spells": spells})
    return pd.DataFrame(rows, columns=["member_id", "s", "fp", "c", "is_valid", "spells"])


# ---------------------------------------------------------------------------
# GA4 day shards
# ---------------------------------------------------------------------------


def _param_number(params: list[dict] | None, key: str) -> float | None:
    for param in params or []:
        if param.get("key") != key:
            continue
        value = param.get("value") or {}
        for field in ("int_value", "double_value", "float_value"):
            if value.get(field) is not None:
                return float(value[field])
        text = value.get("string_value")
        if text is not None:
            try:
                return float(text)
            except ValueError:
                return None
    return None


def ga4_events_frame(ga4_dir: Path) -> pd.DataFrame:
    """One row per GA4 event: event_date, user_pseudo_id, is_active, is_new."""
    rows = []
    for path in sorted(Path(ga4_dir).glob("events_*.parquet")):
        for event in shard_rows(path):
            name = event["event_name"]
            is_first = name in ("first_visit", "first_open")
            flag = event.get("is_active_user")
            if flag is None:
                engagement = _param_number(event.get("event_params"), "engagement_time_msec")
                engaged = _param_number(event.get("event_params"), "session_engaged") == 1
                is_active = engaged or (engagement is not None and engagement > 0) or is_first
            else:
                is_active = bool(flag)
            rows.append({
                "event_date": event_day(event["event_date"]),
                "user_pseudo_id": event["user_pseudo_id"],
                "is_active": is_active,
                "is_new": is_first,
            })
    return pd.DataFrame(rows, columns=["event_date", "user_pseudo_id", "is_active", "is_new"])


# ---------------------------------------------------------------------------
# Periods and metrics
# ---------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_period(start: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def period_starts(first: dt.date, last: dt.date, grain: str) -> list[dt.date]:
    truncate = week_start if grain == "week" else month_start
    starts, current = [], truncate(first)
    while current <= truncate(last):
        starts.append(current)
        current = next_period(current, grain)
    return starts


def _dates(series: pd.Series) -> list[dt.date]:
    return [d for d in series if d is not None and not pd.isna(d)]


def data_range(members: pd.DataFrame, events: pd.DataFrame) -> tuple[dt.date, dt.date]:
    """(first signup-or-event date, as-of date), per readings 6 above."""
    starts = _dates(members["s"]) + _dates(events["event_date"])
    spell_dates = [d for spells in members["spells"] for spell in spells for d in spell if d is not None]
    every = (
        _dates(members["s"]) + _dates(members["fp"]) + _dates(members["c"]) + spell_dates
        + _dates(events["event_date"])
    )
    return min(starts), max(every)


def _between(value: dt.date | None, low: dt.date, high: dt.date) -> bool:
    return value is not None and low <= value <= high


def _rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def kpis(members: pd.DataFrame, events: pd.DataFrame, grain: str,
         settings: Settings = Settings(), ga4: bool = True,
         membership_as_of: dt.date | None = None) -> pd.DataFrame:
    """fct_kpis_weekly (grain "week") or fct_kpis_monthly (grain "month"). Without GA4
    (`ga4` False) the GA4 figures are unknown: active_users, new_users and
    signup_conversion_rate are None. `membership_as_of` is the latest export's as-of
    date (membership_as_of_date); reading 10 says what it and GA4's range change."""
    first, as_of = data_range(members, events)
    people = members.to_dict("records")
    valid = [m for m in people if m["is_valid"]]
    active = events[events["is_active"] & events["user_pseudo_id"].notna()]
    new = events[events["is_new"] & events["user_pseudo_id"].notna()]
    window = dt.timedelta(days=settings.conversion_window_days)
    first_signup = min(_dates(members["s"]), default=None)
    ga4_dates = _dates(events["event_date"])
    ga4_first, ga4_as_of = (min(ga4_dates), max(ga4_dates)) if ga4 and ga4_dates else (None, None)
    rows = []
    for ps in period_starts(first, as_of, grain):
        pe = next_period(ps, grain) - dt.timedelta(days=1)
        has_members = membership_as_of is not None and ps <= membership_as_of
        has_ga4 = ga4_as_of is not None and ps <= ga4_as_of and pe >= ga4_first
        signed_up = [m for m in people if _between(m["s"], ps, pe)]
        # Paying at the start: inside a spell at the end of the day before ps.
        before = ps - dt.timedelta(days=1)
        starting = [m for m in valid if paying_on(m["spells"], before)]
        starts = [(i, a) for m in valid for i, (a, _) in enumerate(m["spells"])]
        ends = [b for m in valid for _, b in m["spells"] if b is not None]
        signups = len(signed_up)
        active_users = active.loc[active["event_date"].between(ps, pe), "user_pseudo_id"].nunique()
        converted = sum(
            1 for m in signed_up
            if m["is_valid"] and m["fp"] is not None
            and dt.timedelta(0) <= m["fp"] - m["s"] <= window
        )
        churned_from_start = sum(
            1 for m in starting
            if any(a <= before and b is not None and ps <= b <= pe for a, b in m["spells"])
        )
        membership = {
            "signups": signups,
            "new_paying_members": sum(1 for m in valid if _between(m["fp"], ps, pe)),
            "reactivated_members": sum(1 for i, a in starts if i > 0 and _between(a, ps, pe)),
            "paying_members_start": len(starting),
            "paying_members_end": sum(1 for m in valid if paying_on(m["spells"], pe)),
            "churned_members": sum(1 for b in ends if _between(b, ps, pe)),
            "churned_from_start_members": churned_from_start,
            "churn_rate": _rate(churned_from_start, len(starting)),
            "signup_to_paid_rate": _rate(converted, signups),
        }
        if not has_members:
            membership = dict.fromkeys(membership)
        ga4_figures = {
            "active_users": active_users,
            "new_users": new.loc[new["event_date"].between(ps, pe), "user_pseudo_id"].nunique(),
            "signup_conversion_rate": _rate(signups, active_users) if has_members else None,
        }
        if not (ga4 and has_ga4):
            ga4_figures = dict.fromkeys(ga4_figures)
        rows.append({
            "period_start": ps,
            "period_end": pe,
            "is_complete_period": pe <= as_of,
            "membership_as_of_date": membership_as_of,
            "ga4_as_of_date": ga4_as_of,
            "is_membership_partial": not (
                first_signup is not None and membership_as_of is not None
                and first_signup <= ps and pe <= membership_as_of),
            "is_ga4_partial": (not (ga4_first is not None and ga4_first <= ps and pe <= ga4_as_of))
            if ga4 else None,
            **membership,
            **ga4_figures,
            "is_signup_to_paid_rate_mature": membership_as_of is not None and pe + window <= membership_as_of,
        })
    frame = pd.DataFrame(rows)
    frame.insert(0, "week_start" if grain == "week" else "month_start", frame["period_start"])
    return frame


def retention_cohorts_monthly(members: pd.DataFrame, events: pd.DataFrame,
                              membership_as_of: dt.date | None = None) -> pd.DataFrame:
    """fct_retention_cohorts_monthly; `membership_as_of` decides is_mature (reading 10)."""
    _, as_of = data_range(members, events)
    # No cell is measured in a month that starts after the newest export (reading 10).
    if membership_as_of is not None:
        as_of = min(as_of, membership_as_of)
    payers = [m for m in members.to_dict("records") if m["is_valid"] and m["fp"] is not None]
    rows = []
    for cohort in sorted({month_start(m["fp"]) for m in payers}):
        cohort_members = [m for m in payers if month_start(m["fp"]) == cohort]
        for k, ms in enumerate(period_starts(cohort, as_of, "month")):
            me = next_period(ms, "month") - dt.timedelta(days=1)
            retained = sum(1 for m in cohort_members if paying_on(m["spells"], me))
            rows.append({
                "cohort_month": cohort,
                "months_since_first_payment": k,
                "cohort_size": len(cohort_members),
                "retained_members": retained,
                "retention_rate": retained / len(cohort_members),
                "is_mature": membership_as_of is not None and me <= membership_as_of,
            })
    return pd.DataFrame(rows, columns=[
        "cohort_month", "months_since_first_payment", "cohort_size",
        "retained_members", "retention_rate", "is_mature",
    ])


def active_users_daily(events: pd.DataFrame) -> pd.DataFrame:
    """fct_ga4__active_users_daily: DAU and GA4's rolling 7- and 28-day windows."""
    first, last = min(events["event_date"]), max(events["event_date"])
    active = events[events["is_active"] & events["user_pseudo_id"].notna()]
    users_by_day = active.groupby("event_date")["user_pseudo_id"].agg(set).to_dict()

    def distinct(day: dt.date, days_back: int) -> int:
        users: set[str] = set()
        for offset in range(days_back + 1):
            users |= users_by_day.get(day - dt.timedelta(days=offset), set())
        return len(users)

    rows = []
    day = first
    while day <= last:
        dau, mau = distinct(day, 0), distinct(day, 27)
        rows.append({
            "event_date": day,
            "dau": dau,
            "wau_7d": distinct(day, 6),
            "mau_28d": mau,
            "stickiness": _rate(dau, mau),
            "is_wau_warm_up": (day - first).days < 6,
            "is_mau_warm_up": (day - first).days < 27,
        })
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows)


def no_events() -> pd.DataFrame:
    """The GA4 events of a run without GA4: none."""
    return pd.DataFrame({"event_date": pd.Series(dtype=object), "user_pseudo_id": pd.Series(dtype=object),
                         "is_active": pd.Series(dtype=bool), "is_new": pd.Series(dtype=bool)})


def compute_membership_only(membership_dir: Path, settings: Settings = Settings()) -> dict[str, pd.DataFrame]:
    """The marts a run without GA4 builds: the membership ones, periods spanning the
    member dates alone, the GA4 columns None."""
    from tests.reference.reference_revenue import compute_revenue  # it imports this module, so not at the top

    members = members_frame(membership_dir, settings)
    events = no_events()
    as_of = membership_as_of_date(membership_dir, settings)
    return {
        "fct_kpis_weekly": kpis(members, events, "week", settings, ga4=False, membership_as_of=as_of),
        "fct_kpis_monthly": kpis(members, events, "month", settings, ga4=False, membership_as_of=as_of),
        "fct_retention_cohorts_monthly": retention_cohorts_monthly(members, events, as_of),
        **compute_revenue(membership_dir, members, events, settings),
    }


def compute_all(membership_dir: Path, ga4_dir: Path,
                settings: Settings = Settings()) -> dict[str, pd.DataFrame]:
    """Every mart the end-to-end test checks, keyed by model name."""
    from tests.reference.reference_acquisition import compute_acquisition  # it imports this module, so not at the top
    from tests.reference.reference_ga4_export import with_export_flags
    from tests.reference.reference_revenue import (
        channel_value_monthly,  # it imports this module, so not at the top
        compute_revenue,  # it imports this module, so not at the top
    )

    members = members_frame(membership_dir, settings)
    events = ga4_events_frame(ga4_dir)
    acquisition = compute_acquisition(membership_dir, ga4_dir, members, events, settings)
    as_of = membership_as_of_date(membership_dir, settings)
    return {
        "fct_kpis_weekly": kpis(members, events, "week", settings, membership_as_of=as_of),
        "fct_kpis_monthly": kpis(members, events, "month", settings, membership_as_of=as_of),
        "fct_retention_cohorts_monthly": retention_cohorts_monthly(members, events, as_of),
        "fct_ga4__active_users_daily": with_export_flags(active_users_daily(events), ga4_dir),
        **compute_revenue(membership_dir, members, events, settings),
        **acquisition,
        "fct_channel_value_monthly": channel_value_monthly(
            membership_dir, members, events, acquisition["dim_members_acquisition"], settings),
    }
