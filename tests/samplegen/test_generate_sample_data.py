"""The sample data generator: file layout, determinism, prefix stability, the GA4
schema, consistency between the membership exports and the GA4 events, --messy, and
rates that look like a real subscription product.

Expectations come from docs/specification.md ("Membership exports", "GA4 export",
"Member lifecycle") and docs/architecture.md ("Sample data"); the files are read back
with csv / pyarrow and parsed here, not with the generator's own helpers.
"""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import importlib.util
import io
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import samplegen
import tests.reference.reference_metrics as reference_metrics
import tests.reference.reference_revenue as reference_revenue
from samplegen.catalog import STREAM_ID

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_sample_data.py"
SEOUL = dt.timezone(dt.timedelta(hours=9))
START = dt.date(2025, 1, 1)
DAYS = 70  # three snapshots: Jan 31, Feb 28, Mar 11
MEMBERS_PER_YEAR = 2500
SEED = 7
CANONICAL = ["member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at",
             "plan_price_krw", "country"]
ALIASES = {
    "회원id": "member_id", "회원번호": "member_id", "사용자id": "user_id", "가입일시": "signup_at",
    "가입일": "signup_at", "요금제": "plan", "플랜": "plan", "첫결제일시": "first_paid_at",
    "첫결제일": "first_paid_at", "해지일시": "canceled_at", "해지일": "canceled_at",
}


# Plan -> the prices an export may show for it (monthly rose from 9,900 to 10,900).
PRICES = {"free": {0}, "monthly": {9900, 10900}, "premium": {19900}, "annual": {99000}}
PAID_PRICES = PRICES["monthly"] | PRICES["premium"] | PRICES["annual"]
MONTHLY_PRICE_CHANGE = dt.date(2025, 2, 15)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_sample_data", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generate(out: Path, days: int = DAYS, seed: int = SEED, messy: bool = False,
              members: int = MEMBERS_PER_YEAR, start: dt.date = START) -> dict:
    return _generator().generate(out, members=members, days=days, start=start, seed=seed, messy=messy)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    _generate(out)
    return out


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    _generate(out, messy=True)
    return out


# --- reading the files back ------------------------------------------------------


def parse_datetime(text: str) -> dt.datetime:
    """A membership datetime in one of the specified export formats, as an aware datetime.

    Without an offset the value is Asia/Seoul local time.
    """
    if text.endswith("Z") or "+" in text[10:]:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=SEOUL)
        except ValueError:
            continue
    raise AssertionError(f"datetime {text!r} is in none of the membership export's formats")


def decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("file is neither UTF-8 nor CP949")


def read_export(path: Path) -> list[dict[str, str]]:
    """Rows of one export with canonical column names (case-insensitive, aliases)."""
    lines = [line for line in decode(path.read_bytes()).splitlines() if line.strip()]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in next(reader)]
    return [dict(zip(header, row, strict=True)) for row in reader]


def latest_members(folder: Path) -> dict[str, dict[str, str]]:
    """Per member_id, the row of the most recently modified export."""
    members: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.csv"), key=lambda p: p.stat().st_mtime):
        for row in read_export(path):
            members[row["member_id"]] = row
    return members


def read_events(folder: Path) -> pa.Table:
    # Shards from before session_traffic_source_last_click lack it: null there.
    return pa.concat_tables((pq.read_table(p) for p in sorted(folder.glob("events_*.parquet"))),
                            promote_options="default")


def params(row_params: list[dict]) -> dict[str, object]:
    out = {}
    for p in row_params:
        v = p["value"]
        out[p["key"]] = next((v[k] for k in ("string_value", "int_value", "double_value", "float_value")
                              if v[k] is not None), None)
    return out


def micros(value: dt.datetime) -> int:
    return int(value.timestamp()) * 1_000_000


def seoul_date(ts_us: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts_us / 1e6, SEOUL).date()


# --- layout ---------------------------------------------------------------------


def test_writes_month_end_snapshots_and_one_file_per_day(clean: Path) -> None:
    exports = sorted(p.name for p in (clean / "membership").iterdir())
    assert exports == ["members_20250131.csv", "members_20250228.csv", "members_20250311.csv"]
    shards = sorted(p.name for p in (clean / "ga4").iterdir())
    assert len(shards) == DAYS
    assert shards[0] == "events_20250101.parquet" and shards[-1] == "events_20250311.parquet"


def test_export_mtime_is_the_end_of_its_as_of_day(clean: Path) -> None:
    for path in (clean / "membership").iterdir():
        as_of = dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d")
        end = dt.datetime.combine(as_of.date(), dt.time(23, 59, 59), SEOUL)
        assert path.stat().st_mtime == end.timestamp(), path.name


def test_clean_export_format(clean: Path) -> None:
    raw = (clean / "membership" / "members_20250311.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == ",".join(CANONICAL)
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        for column in ("signup_at", "first_paid_at", "canceled_at"):
            if row[column]:
                dt.datetime.strptime(row[column], "%Y-%m-%d %H:%M:%S")
        assert int(row["plan_price_krw"]) in PRICES[row["plan"]]
        assert len(row["country"]) == 2
    assert [r["member_id"] for r in rows] == sorted((r["member_id"] for r in rows), key=int)
    assert len({r["member_id"] for r in rows}) == len(rows)


def _resubscribed(exports: list[Path]) -> set[str]:
    """Members whose exports contradict each other: another first payment in a later
    export, or a cancellation a later export no longer shows (docs/specification.md,
    "Resubscription in the export history")."""
    seen: dict[str, dict[str, str]] = {}
    changed = set()
    for path in exports:
        for row in read_export(path):
            before = seen.get(row["member_id"])
            if before and ((before["first_paid_at"] and row["first_paid_at"] != before["first_paid_at"])
                           or (before["canceled_at"] and not row["canceled_at"])):
                changed.add(row["member_id"])
            seen[row["member_id"]] = row
    return changed


def test_snapshots_show_only_what_happened_by_their_as_of_date(clean: Path) -> None:
    exports = sorted((clean / "membership").glob("*.csv"))
    final = {r["member_id"]: r for r in read_export(exports[-1])}
    resubscribed = _resubscribed(exports)
    assert resubscribed  # the first payers' break, at least
    for path in exports[:-1]:
        as_of = dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d").date()
        rows = read_export(path)
        assert 0 < len(rows) < len(final)
        for row in rows:
            later = final[row["member_id"]]
            assert row["signup_at"] == later["signup_at"] and row["user_id"] == later["user_id"]
            for column in ("first_paid_at", "canceled_at"):
                if row[column]:
                    assert parse_datetime(row[column]).date() <= as_of
                if row["member_id"] in resubscribed:
                    continue  # a later export may show another first payment or no cancellation
                if later[column] and parse_datetime(later[column]).date() <= as_of:
                    assert row[column] == later[column]
                else:
                    assert row[column] == ""
            # Payers may change plan between exports; members who have not paid are free.
            assert (row["plan"] == "free") == (not row["first_paid_at"])
        signed_up = {m for m, r in final.items() if parse_datetime(r["signup_at"]).date() <= as_of}
        assert {r["member_id"] for r in rows} == signed_up


# --- determinism and prefix stability -------------------------------------------------


def _same_parquet(a: Path, b: Path) -> bool:
    return pq.read_table(a).equals(pq.read_table(b))


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((first, 1), (second, 1), (other, 2)):
        _generate(out, days=35, seed=seed, members=1500)
    for path in (first / "membership").iterdir():
        assert filecmp.cmp(path, second / "membership" / path.name, shallow=False)
        assert not filecmp.cmp(path, other / "membership" / path.name, shallow=False)
    for path in (first / "ga4").iterdir():
        assert _same_parquet(path, second / "ga4" / path.name)
        assert not _same_parquet(path, other / "ga4" / path.name)


@pytest.mark.parametrize("messy_mode", [False, True], ids=["clean", "messy"])
def test_a_longer_range_keeps_the_earlier_days_identical(tmp_path: Path, messy_mode: bool) -> None:
    short, longer = tmp_path / "short", tmp_path / "long"
    _generate(short, days=40, messy=messy_mode, members=2000)
    _generate(longer, days=47, messy=messy_mode, members=2000)
    assert sorted(p.name for p in (short / "membership").iterdir()) == [
        "members_20250131.csv", "members_20250209.csv"]
    assert filecmp.cmp(short / "membership" / "members_20250131.csv",
                       longer / "membership" / "members_20250131.csv", shallow=False)
    for path in sorted((short / "ga4").iterdir()):
        assert _same_parquet(path, longer / "ga4" / path.name), path.name
    # The short range's last-day export is a prefix of the longer story too.
    short_last = {r["member_id"]: r for r in read_export(short / "membership" / "members_20250209.csv")}
    long_last = {r["member_id"]: r for r in read_export(longer / "membership" / "members_20250216.csv")}
    assert set(short_last) <= set(long_last)
    for member_id, row in short_last.items():
        # Messy exports draw each file's formats anew: compare instants, not text.
        assert parse_datetime(row["signup_at"]).astimezone(SEOUL).date() == \
            parse_datetime(long_last[member_id]["signup_at"]).astimezone(SEOUL).date()
        assert row["user_id"] == long_last[member_id]["user_id"]


def test_generating_again_replaces_the_previous_files(tmp_path: Path) -> None:
    _generate(tmp_path, days=40, members=1000)
    summary = _generate(tmp_path, days=10, members=1000)
    assert sorted(p.name for p in (tmp_path / "membership").iterdir()) == ["members_20250110.csv"]
    assert len(list((tmp_path / "ga4").iterdir())) == 10 == len(summary["ga4_files"])
    assert summary["events"] == read_events(tmp_path / "ga4").num_rows
    assert summary["members"] == len(read_export(tmp_path / "membership" / "members_20250110.csv"))


# --- GA4 schema -------------------------------------------------------------------


def test_ga4_files_follow_the_bigquery_export_schema(clean: Path) -> None:
    schema = pq.read_schema(clean / "ga4" / "events_20250215.parquet")
    value = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()),
                       ("float_value", pa.float64()), ("double_value", pa.float64())])
    expected = {
        "event_date": pa.string(),
        "event_timestamp": pa.int64(),
        "event_name": pa.string(),
        "event_params": pa.list_(pa.struct([("key", pa.string()), ("value", value)])),
        "user_id": pa.string(),
        "user_pseudo_id": pa.string(),
        "user_first_touch_timestamp": pa.int64(),
        "is_active_user": pa.bool_(),
        "traffic_source": pa.struct([("name", pa.string()), ("medium", pa.string()), ("source", pa.string())]),
        "stream_id": pa.string(),
        "platform": pa.string(),
        "event_previous_timestamp": pa.int64(),
        "event_bundle_sequence_id": pa.int64(),
    }
    for name, type_ in expected.items():
        assert schema.field(name).type == type_, name
    structs = {
        "collected_traffic_source": {"manual_source", "manual_medium", "manual_campaign_name", "gclid"},
        "device": {"category", "operating_system", "language", "web_info"},
        "geo": {"country", "region", "city"},
    }
    for name, fields in structs.items():
        type_ = schema.field(name).type
        assert pa.types.is_struct(type_), name
        assert fields <= {type_.field(i).name for i in range(type_.num_fields)}, name
    web_info = schema.field("device").type.field("web_info").type
    web_fields = {web_info.field(i).name: web_info.field(i).type for i in range(web_info.num_fields)}
    assert web_fields["browser"] == web_fields["hostname"] == pa.string()


def test_event_params_use_the_right_value_slot(clean: Path) -> None:
    table = pq.read_table(clean / "ga4" / "events_20250215.parquet")
    slots: dict[str, set[str]] = defaultdict(set)
    for row in table.column("event_params").to_pylist():
        for p in row:
            filled = [k for k, v in p["value"].items() if v is not None]
            assert len(filled) == 1, p
            slots[p["key"]].add(filled[0])
    assert slots["ga_session_id"] == slots["ga_session_number"] == {"int_value"}
    assert slots["engagement_time_msec"] == {"int_value"}
    assert slots["session_engaged"] == {"string_value"}
    for key in ("page_location", "page_title", "page_referrer"):
        assert slots[key] == {"string_value"}, key


# --- one story in two sources -----------------------------------------------------


@pytest.fixture(scope="module")
def story(clean: Path) -> tuple[dict[str, dict[str, str]], list[dict]]:
    members = latest_members(clean / "membership")
    columns = ["event_date", "event_timestamp", "event_name", "event_params", "user_id",
               "user_pseudo_id", "user_first_touch_timestamp", "is_active_user", "platform"]
    events = []
    for path in sorted((clean / "ga4").glob("*.parquet")):
        previous = None
        for row in pq.read_table(path).to_pylist():
            # Exact duplicates are export noise that staging removes; they sit side by side.
            if row != previous:
                # A 2020 shard has no is_active_user column: it reads as null.
                events.append({**{c: row.get(c) for c in columns}, "file": path.stem.split("_")[1]})
            previous = row
    return members, events


def test_event_dates_are_seoul_dates_of_the_timestamps(story) -> None:
    _, events = story
    for e in events:
        assert e["event_date"] == e["file"] == seoul_date(e["event_timestamp"]).strftime("%Y%m%d")


def test_every_user_id_is_a_member_and_sign_up_and_purchase_match_the_export(story, clean: Path) -> None:
    members, events = story
    by_user = {m["user_id"]: m for m in members.values() if m["user_id"]}
    assert set(e["user_id"] for e in events if e["user_id"]) <= set(by_user)
    sign_ups = [e for e in events if e["event_name"] == "sign_up"]
    purchases = [e for e in events if e["event_name"] == "purchase"]
    assert sign_ups and purchases
    signed = Counter()
    for e in sign_ups:
        member = by_user[e["user_id"]]
        assert e["event_timestamp"] // 1_000_000 * 1_000_000 == micros(parse_datetime(member["signup_at"]))
        signed[e["user_id"]] += 1
    # Every member with a user_id signed up on the site, once.
    assert set(signed) == set(by_user) and max(signed.values()) == 1
    paid = Counter()
    # The purchase is the first payment: a member who came back shows a later one at the
    # end, so it is compared with the earliest first payment any export shows.
    first_shown: dict[str, str] = {}
    for path in sorted((clean / "membership").glob("*.csv")):
        for row in read_export(path):
            if row["first_paid_at"] and row["member_id"] not in first_shown:
                first_shown[row["member_id"]] = row["first_paid_at"]
    exact = 0
    for e in purchases:
        member = by_user[e["user_id"]]
        shown = micros(parse_datetime(first_shown[member["member_id"]]))
        purchased = e["event_timestamp"] // 1_000_000 * 1_000_000
        # A member who canceled and came back between two exports never shows the first.
        assert purchased <= shown
        exact += purchased == shown
        assert params(e["event_params"])["value"] in {float(p) for p in PAID_PRICES}
        paid[e["user_id"]] += 1
    assert exact >= 0.9 * len(purchases)
    assert set(paid) == {u for u, m in by_user.items() if m["first_paid_at"]}
    assert max(paid.values()) == 1
    # user_id appears from the sign_up on, never before it.
    signup_us = {e["user_id"]: e["event_timestamp"] for e in sign_ups}
    assert all(e["event_timestamp"] >= signup_us[e["user_id"]] for e in events if e["user_id"])


def test_no_event_before_a_visitors_first_visit(story) -> None:
    _, events = story
    first_visit: dict[str, int] = {}
    for e in events:
        if e["event_name"] in ("first_visit", "first_open"):
            assert e["user_pseudo_id"] not in first_visit, "two first_visit events"
            first_visit[e["user_pseudo_id"]] = e["event_timestamp"]
    for e in events:
        assert e["event_timestamp"] >= first_visit[e["user_pseudo_id"]]
        assert e["user_first_touch_timestamp"] == first_visit[e["user_pseudo_id"]]


def test_sessions_are_numbered_and_engagement_is_recorded(story) -> None:
    _, events = story
    numbers: dict[str, dict[int, int]] = defaultdict(dict)
    sessionless_app_events = 0
    for e in events:
        p = params(e["event_params"])
        if "ga_session_id" not in p:
            # Older app exports (the 2020 shards) often lack the session parameters.
            assert e["platform"] != "WEB" and e["file"] < (START + dt.timedelta(days=10)).strftime("%Y%m%d")
            sessionless_app_events += 1
            continue
        assert isinstance(p["ga_session_id"], int) and p["ga_session_number"] >= 1
        numbers[e["user_pseudo_id"]].setdefault(p["ga_session_id"], p["ga_session_number"])
        if e["event_name"] == "user_engagement":
            assert p["engagement_time_msec"] > 0
        if e["event_name"] in ("first_visit", "first_open"):
            assert p["ga_session_number"] == 1
    assert sessionless_app_events > 0
    for sessions in numbers.values():
        ordered = [n for _, n in sorted(sessions.items())]
        assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)
    assert any(len(s) >= 3 for s in numbers.values()), "nobody came back twice"


def test_is_active_user_is_null_at_first_then_true_exactly_for_active_visitors(story) -> None:
    """Active as Google defines it: an engaged session, engagement time or a first visit
    / open. Some engaged sessions show it only in session_engaged (no user_engagement)."""
    _, events = story
    cutoff = (START + dt.timedelta(days=20)).strftime("%Y%m%d")
    active: dict[tuple[str, str], bool] = defaultdict(bool)
    only_flag: dict[tuple[str, str], bool] = defaultdict(bool)
    for e in events:
        p = params(e["event_params"])
        timed = (p.get("engagement_time_msec") or 0) > 0
        flagged = str(p.get("session_engaged")) == "1"
        key = (e["user_pseudo_id"], e["event_date"])
        active[key] |= timed or flagged or e["event_name"] in ("first_visit", "first_open")
        only_flag[key] |= flagged and not timed
    flags = Counter()
    for e in events:
        if e["event_date"] < cutoff:
            assert e["is_active_user"] is None
        else:
            assert e["is_active_user"] is active[(e["user_pseudo_id"], e["event_date"])]
            flags[e["is_active_user"]] += 1
    assert flags[True] > 0 and flags[False] > 0
    assert any(only_flag.values())


def test_lifecycles_are_in_order(story) -> None:
    members, _ = story
    for m in members.values():
        s = parse_datetime(m["signup_at"])
        fp = parse_datetime(m["first_paid_at"]) if m["first_paid_at"] else None
        c = parse_datetime(m["canceled_at"]) if m["canceled_at"] else None
        assert fp is None or s <= fp
        assert c is None or s <= c
        if fp and c:
            assert fp <= c


def test_exports_contain_a_few_exact_duplicate_events(clean: Path) -> None:
    duplicates = 0
    for path in sorted((clean / "ga4").glob("*.parquet")):
        table = pq.read_table(path)
        keys = Counter(zip(table.column("user_pseudo_id").to_pylist(),
                           table.column("event_timestamp").to_pylist(),
                           table.column("event_name").to_pylist()))
        repeated = [k for k, n in keys.items() if n > 1]
        rows = table.to_pylist()
        for key in repeated:
            same = [r for r in rows if (r["user_pseudo_id"], r["event_timestamp"], r["event_name"]) == key]
            assert all(r == same[0] for r in same), "rows sharing a key must be exact duplicates"
        duplicates += len(repeated)
    assert 1 <= duplicates <= read_events(clean / "ga4").num_rows / 500


# --- rates -------------------------------------------------------------------------


def test_rates_look_like_a_subscription_product(story) -> None:
    members, events = story
    rows = list(members.values())
    s = {m["member_id"]: parse_datetime(m["signup_at"]).date() for m in rows}
    fp = {m["member_id"]: parse_datetime(m["first_paid_at"]).date() for m in rows if m["first_paid_at"]}
    c = {m["member_id"]: parse_datetime(m["canceled_at"]).date() for m in rows if m["canceled_at"]}
    n = len(rows)
    assert 300 <= n <= 700  # 2500 a year over 70 days
    assert 0.15 <= len(fp) / n <= 0.5
    days_to_pay = Counter((fp[m] - s[m]).days for m in fp)
    within_7 = sum(v for d, v in days_to_pay.items() if 0 <= d <= 7)
    assert 0.08 <= within_7 / n <= 0.4
    assert days_to_pay[0] > 0 and days_to_pay[7] > 0 and days_to_pay[8] > 0 and max(days_to_pay) > 14
    churned = [m for m in c if m in fp]
    free_cancels = [m for m in c if m not in fp]
    assert churned and free_cancels
    assert len(churned) / len(fp) < 0.3  # a 70-day window, monthly churn well under 15 %
    assert 0.01 <= sum(1 for m in rows if not m["user_id"]) / n <= 0.15
    # Signups per monthly active user: a few per cent.
    active_by_month: dict[str, set[str]] = defaultdict(set)
    for e in events:
        p = params(e["event_params"])
        if (p.get("engagement_time_msec") or 0) > 0 or e["event_name"] == "first_visit":
            active_by_month[e["event_date"][:6]].add(e["user_pseudo_id"])
    signups_by_month = Counter(d.strftime("%Y%m") for d in s.values())
    for month in ("202501", "202502"):
        assert 0.01 <= signups_by_month[month] / len(active_by_month[month]) <= 0.12
    # Weekends are quieter than weekdays.
    new_by_weekday: dict[bool, list[int]] = defaultdict(list)
    new_per_day = Counter(e["event_date"] for e in events if e["event_name"] == "first_visit")
    for day, count in new_per_day.items():
        new_by_weekday[dt.datetime.strptime(day, "%Y%m%d").weekday() >= 5].append(count)
    weekday_mean = sum(new_by_weekday[False]) / len(new_by_weekday[False])
    weekend_mean = sum(new_by_weekday[True]) / len(new_by_weekday[True])
    assert weekend_mean < weekday_mean
    visitors = {e["user_pseudo_id"] for e in events}
    assert len(visitors) > 5 * n  # most visitors never sign up


def test_members_return_less_as_time_goes_by(story) -> None:
    members, events = story
    signup = {m["user_id"]: parse_datetime(m["signup_at"]).date() for m in members.values()
              if m["user_id"] and parse_datetime(m["signup_at"]).date() < dt.date(2025, 1, 25)}
    visit_days: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for e in events:
        if e["user_id"] in signup and e["event_name"] == "session_start":
            week = (seoul_date(e["event_timestamp"]) - signup[e["user_id"]]).days // 7
            visit_days[week].add((e["user_id"], e["event_date"]))
    assert len(visit_days[0]) > len(visit_days[2]) > len(visit_days[5]) > 0


def test_visitors_arrive_from_realistic_channels(clean: Path) -> None:
    table = read_events(clean / "ga4")
    first = table.filter(pc.equal(table.column("event_name"), "first_visit"))
    sources = Counter((t["source"], t["medium"]) for t in first.column("traffic_source").to_pylist())
    total = sum(sources.values())
    for channel in (("google", "organic"), ("naver", "organic"), ("(direct)", "(none)"),
                    ("instagram", "social"), ("google", "cpc"), ("newsletter", "email")):
        assert sources[channel] > 0, channel
    assert sources[("google", "organic")] / total > sources[("newsletter", "email")] / total
    # A paid-search visitor's first session carries the click id (where the shard has
    # collected_traffic_source: not the 2020 shards of the first days).
    cpc = first.filter(pc.and_(
        pc.equal(pc.struct_field(first.column("traffic_source"), "medium"), "cpc"),
        pc.greater_equal(first.column("event_date"), (START + dt.timedelta(days=10)).strftime("%Y%m%d"))))
    gclids = pc.struct_field(cpc.column("collected_traffic_source"), "gclid").to_pylist()
    assert gclids and all(g for g in gclids)


# --- --messy ------------------------------------------------------------------------


def test_messy_exports_hold_every_kind_of_mess(messy: Path) -> None:
    paths = sorted((messy / "membership").glob("*.csv"))
    raws = {p.name: p.read_bytes() for p in paths}
    cp949 = []
    for name, raw in raws.items():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            cp949.append(name)
    assert cp949, "no CP949 file"
    assert "회원ID" in raws[cp949[0]].decode("cp949").splitlines()[0]
    assert "네이버 검색" in raws[cp949[0]].decode("cp949")  # Korean values, not only headers
    assert any(raw.startswith(b"\xef\xbb\xbf") for raw in raws.values()), "no UTF-8 file with a BOM"
    headers = {name: decode(raw).splitlines()[0].split(",") for name, raw in raws.items()}
    korean = {"회원ID", "사용자ID", "가입일시", "요금제", "첫결제일시", "해지일시"}
    assert any(korean <= set(h) for h in headers.values()), headers
    assert any(any(line.strip() == "" for line in decode(raw).splitlines()[1:]) for raw in raws.values())
    values = [row[c] for p in paths for row in read_export(p)
              for c in ("signup_at", "first_paid_at", "canceled_at") if row[c]]
    assert any(v.endswith("Z") for v in values) and any(v.endswith("+09:00") for v in values)
    shapes = Counter()
    for v in values:
        parse_datetime(v)  # every value is in one of the specified formats
        shapes[len(v)] += 1
    assert {19, 20, 25, 16, 10} <= set(shapes), shapes


def test_messy_exports_tell_the_clean_story_with_a_few_invalid_lifecycles(clean: Path, messy: Path) -> None:
    tidy = latest_members(clean / "membership")
    rough = latest_members(messy / "membership")
    assert set(tidy) == set(rough)
    changed = []
    for member_id, row in rough.items():
        expected = tidy[member_id]
        for column in ("user_id", "plan", "country"):
            assert row[column] == expected[column]
        # Messy prices may be empty (the list price) or carry a thousands separator.
        assert row["plan_price_krw"].replace(",", "") in ("", expected["plan_price_krw"])
        for column in ("signup_at", "first_paid_at"):
            assert bool(row[column]) == bool(expected[column])
            if row[column]:
                # Same instant, or the same local date when the format drops the time.
                assert local_date(row[column]) == local_date(expected[column])
        if local_date(row["canceled_at"]) != local_date(expected["canceled_at"]):
            changed.append(member_id)
    invalid = []
    for member_id in changed:
        row = rough[member_id]
        assert row["canceled_at"] and local_date(row["canceled_at"]) >= local_date(row["signup_at"])
        if row["first_paid_at"]:
            # Invalid by the lifecycle rule: canceled on a date before the first payment's.
            assert local_date(row["canceled_at"]) < local_date(row["first_paid_at"])
            invalid.append(member_id)
    assert len(invalid) >= 3
    assert len(changed) <= max(5, len(rough) // 50)


def local_date(text: str) -> dt.date | None:
    return parse_datetime(text).astimezone(SEOUL).date() if text else None


def test_messy_signup_channel_names_the_visitors_first_source(messy: Path) -> None:
    labels = {
        ("google", "organic"): "구글 검색", ("naver", "organic"): "네이버 검색",
        ("(direct)", "(none)"): "직접 방문", ("instagram", "social"): "인스타그램",
        ("google", "cpc"): "구글 광고", ("newsletter", "email"): "뉴스레터",
        ("blog.naver.com", "referral"): "네이버 블로그", ("facebook", "paid_social"): "페이스북",
    }
    everyone = list(latest_members(messy / "membership").values())
    members = {m["user_id"]: m for m in everyone if m["user_id"]}
    table = read_events(messy / "ga4")
    sign_ups = table.filter(pc.equal(table.column("event_name"), "sign_up"))
    checked = 0
    for user_id, source in zip(sign_ups.column("user_id").to_pylist(),
                               sign_ups.column("traffic_source").to_pylist()):
        if source["source"] in ("google-play", "apple"):
            # The app's store install hides the channel from GA4; the CRM still knows it.
            assert members[user_id]["signup_channel"] in labels.values()
            continue
        assert members[user_id]["signup_channel"] == labels[(source["source"], source["medium"])]
        checked += 1
    assert checked > 100
    offline = [m for m in everyone if not m["user_id"]]
    assert offline and all(m["signup_channel"] == "오프라인 매장" for m in offline)


def test_members_repeat_across_exports_and_the_later_one_wins(messy: Path) -> None:
    paths = sorted((messy / "membership").glob("*.csv"), key=lambda p: p.stat().st_mtime)
    first, last = read_export(paths[0]), read_export(paths[-1])
    repeated = {r["member_id"] for r in first} & {r["member_id"] for r in last}
    assert repeated == {r["member_id"] for r in first}
    later = {r["member_id"]: r for r in last}
    # Some members changed between the two: they paid or canceled in between.
    assert any(r["first_paid_at"] != later[r["member_id"]]["first_paid_at"]
               or r["canceled_at"] != later[r["member_id"]]["canceled_at"] for r in first)


# --- plans and prices ------------------------------------------------------------------


def _paid_rows_by_export(folder: Path) -> list[tuple[dt.date, dict[str, dict[str, str]]]]:
    """(as-of date, member -> row) of every export, oldest first."""
    exports = []
    for path in sorted(folder.glob("*.csv")):
        as_of = dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d").date()
        exports.append((as_of, {r["member_id"]: r for r in read_export(path)}))
    return exports


def test_payers_upgrade_downgrade_and_switch_to_annual_between_exports(clean: Path) -> None:
    changes = Counter()
    exports = _paid_rows_by_export(clean / "membership")
    for (_, before), (_, after) in zip(exports, exports[1:]):
        for member_id, row in before.items():
            later = after[member_id]
            if row["plan"] != "free" and not later["canceled_at"] and later["plan"] != row["plan"]:
                changes[(row["plan"], later["plan"])] += 1
    assert changes[("monthly", "premium")] and changes[("premium", "monthly")] and changes[("monthly", "annual")], changes
    assert set(changes) <= {("monthly", "premium"), ("premium", "monthly"), ("monthly", "annual")}, changes


def test_the_monthly_price_rises_for_members_who_take_the_plan_from_its_date(clean: Path) -> None:
    exports = _paid_rows_by_export(clean / "membership")
    as_of, last = exports[-1]
    monthly = [r for r in last.values() if r["plan"] == "monthly"]
    assert {int(r["plan_price_krw"]) for r in monthly} == {9900, 10900}
    for row in monthly:
        paid = parse_datetime(row["first_paid_at"]).astimezone(SEOUL).date()
        # Monthly from the first payment on, after the change: the new price.
        was_monthly = all(rows[row["member_id"]]["plan"] in ("free", "monthly")
                          for _, rows in exports if row["member_id"] in rows)
        if paid >= MONTHLY_PRICE_CHANGE and was_monthly:
            assert row["plan_price_krw"] == "10900", row
    for export_as_of, rows in exports:
        if export_as_of < MONTHLY_PRICE_CHANGE:
            assert all(r["plan_price_krw"] != "10900" for r in rows.values())


def test_messy_prices_are_sometimes_empty_or_separated_and_a_month_end_export_lags(messy: Path) -> None:
    prices = [r["plan_price_krw"] for p in (messy / "membership").glob("*.csv") for r in read_export(p)]
    assert "" in prices and any("," in p for p in prices)
    exports = _paid_rows_by_export(messy / "membership")
    lagging = [
        member_id
        for (as_of, rows), (_, later) in zip(exports, exports[1:])
        if (as_of + dt.timedelta(days=1)).day == 1
        for member_id, row in rows.items()
        if row["first_paid_at"] and row["plan"] == "free" and later[member_id]["plan"] != "free"
    ]
    assert lagging, "no month-end export shows a new payer still on the free plan"


# --- command line -------------------------------------------------------------------


def test_command_line_writes_the_files_and_reports(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--members", "800", "--days", "3",
         "--start", "2025-06-29", "--seed", "3", "--messy"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "membership exports" in result.stdout and "GA4 files" in result.stdout
    assert sorted(p.name for p in (tmp_path / "membership").iterdir()) == [
        "members_20250630.csv", "members_20250701.csv"]
    assert sorted(p.name for p in (tmp_path / "ga4").iterdir()) == [
        "events_20250629.parquet", "events_20250630.parquet", "events_20250701.parquet"]


def test_command_line_refuses_a_bad_start_date(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "--start", "01/02/2025"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "--start must be a date like 2025-01-01" in result.stderr
    assert not (tmp_path / "ga4").exists()


def test_default_size_suits_the_quickstart(tmp_path: Path) -> None:
    summary = _generator().generate(tmp_path)  # the defaults of the command line
    assert 2000 <= summary["members"] <= 3000
    assert 100_000 <= summary["events"] <= 500_000
    assert summary["seconds"] < 30
    assert os.path.getsize(tmp_path / "ga4" / "events_20250301.parquet") > 10_000
    # Money moves every way in the default data (tests/reference/reference_revenue.py's reading).
    members = reference_metrics.members_frame(tmp_path / "membership")
    events = reference_metrics.ga4_events_frame(tmp_path / "ga4")
    revenue = reference_revenue.compute_revenue(tmp_path / "membership", members, events)
    assert set(revenue["fct_member_mrr_monthly"]["movement"]) == set(reference_revenue.MOVEMENTS)


# --- traffic sources: the session attribution GA4 exports --------------------------


def test_session_last_click_appears_from_the_cut_over_day(clean: Path) -> None:
    """Shards before LAST_CLICK_ABSENT_DAYS lack session_traffic_source_last_click, as
    exports from before mid-2024 do; later ones carry it on every event."""
    from samplegen.ga4 import LAST_CLICK_ABSENT_DAYS

    shards = sorted((clean / "ga4").glob("events_*.parquet"))
    has_column = ["session_traffic_source_last_click" in pq.read_schema(p).names for p in shards]
    assert has_column == [i >= LAST_CLICK_ABSENT_DAYS for i in range(len(shards))]
    table = pq.read_table(shards[LAST_CLICK_ABSENT_DAYS])
    manual = pc.struct_field(table.column("session_traffic_source_last_click"), "manual_campaign")
    sources = pc.struct_field(manual, "source").to_pylist()
    assert all(sources)
    collected = pc.struct_field(table.column("collected_traffic_source"), "manual_source").to_pylist()
    for last, tagged in zip(sources, collected):
        if tagged is not None:
            assert last == tagged  # a tagged session is its own last click
    # Visitors who first came directly have only direct or tagged / referred last clicks.
    assert "(direct)" in sources and len(set(sources)) > 3


def test_sessions_carry_campaign_tags_a_referrer_or_nothing(clean: Path) -> None:
    table = pq.read_table(clean / "ga4" / "events_20250215.parquet")
    kinds: dict[tuple, set[str]] = defaultdict(set)
    for name, row_params, collected in zip(table.column("event_name").to_pylist(),
                                           table.column("event_params").to_pylist(),
                                           table.column("collected_traffic_source").to_pylist()):
        p = params(row_params)
        if name != "page_view":
            continue
        referrer = p.get("page_referrer")
        external = referrer is not None and not str(referrer).startswith("https://www.example-membership.kr")
        kind = "tags" if collected is not None else "referrer" if external else "none"
        kinds[kind].add(str(referrer).split("/")[2] if external else "")
    assert {"tags", "referrer", "none"} <= set(kinds)
    assert {"www.google.com", "search.naver.com", "blog.naver.com"} <= kinds["referrer"]


def test_messy_ga4_has_cookieless_pings(messy: Path, clean: Path) -> None:
    """--messy sends some page views a second time without user_pseudo_id or session
    parameters (consent mode); clean shards have none."""
    pings = 0
    for path in sorted((messy / "ga4").glob("events_*.parquet")):
        table = pq.read_table(path)
        no_device = table.filter(pc.is_null(table.column("user_pseudo_id")))
        for name, row_params in zip(no_device.column("event_name").to_pylist(),
                                    no_device.column("event_params").to_pylist()):
            assert name == "page_view"
            assert not {"ga_session_id", "ga_session_number", "session_engaged"} & set(params(row_params))
            pings += 1
    assert pings > 0
    assert read_events(clean / "ga4").column("user_pseudo_id").null_count == 0


# --- the export's vintages and the app stream ---------------------------------------


def test_the_default_history_spans_the_exports_vintages(clean: Path) -> None:
    """2020 shards (no collected_traffic_source, no is_active_user), then 2023 ones (both),
    then 2024 ones (session_traffic_source_last_click), by day of the range."""
    from samplegen.ga4 import LAST_CLICK_ABSENT_DAYS, SHAPE_2020_DAYS

    later = ("collected_traffic_source", "is_active_user", "session_traffic_source_last_click")
    shards = sorted((clean / "ga4").glob("events_*.parquet"))
    for i, path in enumerate(shards):
        names = set(pq.read_schema(path).names)
        expected = (i >= SHAPE_2020_DAYS, i >= SHAPE_2020_DAYS, i >= LAST_CLICK_ABSENT_DAYS)
        assert tuple(c in names for c in later) == expected, path.name


@pytest.mark.parametrize("vintage,columns", [
    ("2020", set()),
    ("2023", {"collected_traffic_source", "is_active_user"}),
    ("2024", {"collected_traffic_source", "is_active_user", "session_traffic_source_last_click"}),
])
def test_one_vintage_writes_every_shard_in_that_shape(tmp_path: Path, vintage: str, columns: set[str]) -> None:
    samplegen.generate(tmp_path, members=2000, days=3, start=START, ga4_schema=vintage)
    later = {"collected_traffic_source", "is_active_user", "session_traffic_source_last_click"}
    for path in sorted((tmp_path / "ga4").glob("events_*.parquet")):
        assert set(pq.read_schema(path).names) & later == columns, path.name


def test_campaign_tags_are_event_parameters_in_every_vintage(tmp_path: Path) -> None:
    """The web tag writes the landing page's utm_* tags as the parameters source / medium
    / campaign (and gclid): the only campaign data a 2020 shard has."""
    samplegen.generate(tmp_path, members=4000, days=2, start=START, ga4_schema="2020")
    tagged = Counter()
    for path in sorted((tmp_path / "ga4").glob("events_*.parquet")):
        for row in pq.read_table(path).to_pylist():
            p = params(row["event_params"])
            if "source" in p:
                assert row["platform"] == "WEB" and {"medium", "campaign"} <= set(p)
                tagged[(p["source"], p["medium"], "gclid" in p)] += 1
    assert ("google", "cpc", True) in tagged and ("newsletter", "email", False) in tagged


def test_an_app_stream_logs_screens_without_pages_and_store_installs_lack_a_campaign(clean: Path) -> None:
    app_events = Counter()
    store_sources = set()
    for path in sorted((clean / "ga4").glob("events_*.parquet"))[:15]:
        for row in pq.read_table(path).to_pylist():
            if row["platform"] == "WEB":
                assert row["event_name"] not in ("first_open", "screen_view")
                continue
            assert row["platform"] in ("ANDROID", "IOS") and row["stream_id"] != STREAM_ID
            assert not {"page_location", "page_referrer", "source"} & set(params(row["event_params"]))
            app_events[row["event_name"]] += 1
            if row["traffic_source"]["name"] is None:
                store_sources.add((row["traffic_source"]["source"], row["traffic_source"]["medium"]))
    assert {"first_open", "screen_view", "session_start"} <= set(app_events)
    assert "first_visit" not in app_events and "page_view" not in app_events
    assert ("google-play", "organic") in store_sources
