"""Generate deterministic sample data: membership CSV exports and a GA4 BigQuery export.

Usage::

    python scripts/generate_sample_data.py --out sample_data \
        [--members N] [--days D] [--start YYYY-MM-DD] [--seed S] [--messy]

or, from Python, ``generate(out_dir, members, days, start, seed, messy)``.

What it writes (the contract with the loader, dbt and the tests; docs/architecture.md,
"Sample data"). Existing ``members_*.csv`` / ``events_*.parquet`` files in the two
folders are removed first, so a folder always holds exactly one generated data set.

``<out>/membership/members_YYYYMMDD.csv``
    Full snapshots of the member table, one as of the last day of every calendar month
    in the range and one as of the last day of the range when that is not a month end.
    The date in the name is the snapshot's as-of date (Asia/Seoul); the file's mtime is
    set to the last second of that day, so the most recently modified export is also
    the latest one. A snapshot holds the members who signed up on or before its as-of
    date, one row each, sorted by member_id; ``first_paid_at`` / ``canceled_at`` are
    shown only when they happened on or before the as-of date, and ``plan`` is ``free``
    until the first payment. Clean mode: UTF-8 without BOM, ``\\n`` line ends, header
    ``member_id,user_id,signup_at,plan,first_paid_at,canceled_at,plan_price_krw,country``,
    datetimes ``YYYY-MM-DD HH:MM:SS`` in local time (Asia/Seoul), empty field = null.

    - member_id: decimal text, 100001, 100002, ... in signup order.
    - user_id: 16 lowercase hex digits, the GA4 ``user_id`` of the member; empty for
      members who signed up outside the website (about 6 %, no GA4 events at all).
    - plan: free, monthly (9900 KRW) or annual (99000 KRW); plan_price_krw: integer.
    - country: ISO 3166-1 alpha-2 code (mostly KR).

    ``--messy`` keeps the same members and instants but writes them like real exports:
    datetimes in mixed formats (``2025-03-19 11:13:18``, ``2025-03-19T02:13:18Z``,
    ``2025-03-19T11:13:18+09:00``, ``2025/03/19 11:13``, ``2025.03.19``,
    ``2025-03-19``; without an offset a value is Asia/Seoul local time, and truncating
    formats never move a value to another local date), blank lines, and per snapshot
    (counted from the first): #1 CP949 with CRLF line ends and Korean headers
    (회원ID, 사용자ID, 가입일시, 요금제, 첫결제일시, 해지일시), #2 UTF-8 with a BOM and the
    other Korean aliases (회원번호, 사용자ID, 가입일, 플랜, 첫결제일, 해지일), #3 the
    canonical headers in upper case and another column order, later ones canonical.
    Messy exports also carry an extra ``signup_channel`` column with Korean values
    (네이버 검색, 인스타그램, 오프라인 매장, ...), so the encodings matter for values too.
    About 1 in 300 payers, and the first three who pay within ten days of signing up,
    get an invalid lifecycle: canceled_at on a local date after signup_at's (or the
    same) and before first_paid_at's (members who pay on their signup date are never
    chosen); until the payment shows in an export, such a member looks like a free
    member who canceled.

``<out>/ga4/events_YYYYMMDD.parquet``
    One file per day of the range, the day's events of the GA4 BigQuery export
    (Google's column names and types, nested ones included; see ``GA4_SCHEMA``),
    sorted by event_timestamp. ``event_date`` is the Asia/Seoul date (= the file's
    date), ``event_timestamp`` microseconds since the epoch, UTC. Anonymous visitors
    (``user_pseudo_id``) arrive from channels, have sessions (first_visit on the first
    one, session_start, page_view, user_engagement with engagement_time_msec), a few
    sign up (``sign_up`` at the member's signup_at; every later event carries the
    member's ``user_id``), some pay (``purchase`` at first_paid_at); return visits decay.
    ``is_active_user`` is null during the first 20 days of the range (as in exports
    from before mid-2023) and true / false afterwards. ``session_engaged`` is an int
    parameter in those first 20 days and a string one afterwards (GA4 has sent both).
    About 1 in 2000 rows is an exact duplicate of its neighbour, as in real exports.

Sizes: ``--members`` is the expected number of members signing up in 365 days of
traffic (the site's size), not a total for the range: a day's data never depends on
how many days are generated, so ``--days D`` and ``--days D+k`` (same seed, start and
members) give identical GA4 files for the first D days and identical monthly
snapshots. The default (7300 a year, 120 days) gives about 2,400 members and a few
hundred thousand events; ``--members 100000 --days 365`` about 100,000 members and
well over 10 million events, generated day by day in bounded memory.

Determinism: every random draw comes from a numpy stream keyed by (seed, purpose,
day): the visitors arriving on a day, and the whole future of each of them (sessions,
signup, payment, cancellation), come from that day's stream, then get cut at the end
of the range.
"""


import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# ---------------------------------------------------------------------------
# Constants of the simulated site
# ---------------------------------------------------------------------------

SOURCE_TZ_OFFSET_US = 9 * 3600 * 1_000_000  # Asia/Seoul has no DST: always UTC+09:00
DAY_US = 86_400 * 1_000_000
HOUR_US = 3600 * 1_000_000
SECOND_US = 1_000_000
NONE_US = np.iinfo(np.int64).max  # "never happened" for lifecycle instants

DEFAULT_MEMBERS_PER_YEAR = 7300
DEFAULT_DAYS = 120
DEFAULT_START = date(2025, 1, 1)
DEFAULT_SEED = 42

IS_ACTIVE_USER_NULL_DAYS = 20  # first days of the range look like a pre-2023-07 export
MEMBER_ID_BASE = 100_000
OFFLINE_MEMBER_SHARE = 0.06  # sign up in a store / by phone: no user_id, no GA4 events
RETURN_WINDOW_DAYS = 730  # members stop visiting after two years; keeps arrays bounded
SESSION_WINDOW_US = 3 * HOUR_US  # longer than any session: 12 pages x 300 s + leads
STREAM_ID = "4178352910"
HOSTNAME = "www.example-membership.kr"
SITE = f"https://{HOSTNAME}"

# Streams of random numbers: one per purpose, so adding a purpose never shifts another.
_STREAM_ARRIVALS = 1
_STREAM_DUPLICATES = 2
_STREAM_MESSY = 3

# Hours 0..23 in Asia/Seoul: quiet nights, a lunch bump, an evening peak.
HOUR_WEIGHTS = np.array(
    [2.0, 1.2, 0.7, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.2, 3.6, 3.8,
     4.0, 3.8, 3.6, 3.6, 3.7, 3.9, 4.2, 4.8, 5.4, 5.6, 4.8, 3.5]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
# Monday..Sunday traffic factors (mean 1).
WEEKDAY_FACTOR = np.array([1.05, 1.08, 1.06, 1.04, 0.98, 0.86, 0.93])
WEEKDAY_FACTOR = WEEKDAY_FACTOR / WEEKDAY_FACTOR.mean()


@dataclass(frozen=True)
class Channel:
    source: str
    medium: str
    name: str  # traffic_source.name: campaign, or (organic) / (direct) / (referral)
    weight: float  # share of new visitors
    return_weight: float  # share of return sessions
    signup_rate: float  # share of its new visitors who ever sign up
    pay_factor: float  # multiplies the base probability that a member pays
    referrer: str | None
    utm: bool  # carries utm_* parameters (collected_traffic_source.manual_*)
    gclid: bool
    label_ko: str  # how the CRM names the channel (--messy exports' signup_channel)


CHANNELS = (
    Channel("google", "organic", "(organic)", 30, 10, 0.045, 1.0, "https://www.google.com/", False, False,
            "구글 검색"),
    Channel("naver", "organic", "(organic)", 21, 8, 0.045, 1.0, "https://search.naver.com/", False, False,
            "네이버 검색"),
    Channel("(direct)", "(none)", "(direct)", 17, 60, 0.060, 1.1, None, False, False, "직접 방문"),
    Channel("instagram", "social", "spring_launch", 8, 3, 0.025, 0.8, "https://l.instagram.com/", True, False,
            "인스타그램"),
    Channel("google", "cpc", "brand_search_kr", 9, 2, 0.080, 1.2, "https://www.google.com/", True, True,
            "구글 광고"),
    Channel("newsletter", "email", "weekly_letter", 4, 14, 0.110, 1.4, None, True, False, "뉴스레터"),
    Channel("blog.naver.com", "referral", "(referral)", 8, 2, 0.050, 1.0, "https://blog.naver.com/", False, False,
            "네이버 블로그"),
    Channel("facebook", "social", "retargeting_kr", 3, 1, 0.030, 0.8, "https://m.facebook.com/", True, False,
            "페이스북"),
)
OFFLINE_CHANNEL_LABEL = "오프라인 매장"
CHANNEL_P = np.array([c.weight for c in CHANNELS]) / sum(c.weight for c in CHANNELS)
RETURN_CHANNEL_P = np.array([c.return_weight for c in CHANNELS]) / sum(c.return_weight for c in CHANNELS)
CHANNEL_SIGNUP = np.array([c.signup_rate for c in CHANNELS])
CHANNEL_PAY = np.array([c.pay_factor for c in CHANNELS])
MEAN_SIGNUP_RATE = float(CHANNEL_P @ CHANNEL_SIGNUP)

def _device(category: str, os_name: str, os_version: str, browser: str, version: str, brand: str,
            model: str, language: str = "ko-kr") -> dict:
    """A device profile as the GA4 export's `device` record."""
    return {
        "category": category, "mobile_brand_name": brand, "mobile_model_name": model,
        "operating_system": os_name, "operating_system_version": os_version, "language": language,
        "is_limited_ad_tracking": "No",
        "web_info": {"browser": browser, "browser_version": version, "hostname": HOSTNAME},
    }


# (device record, share of visitors)
DEVICES = (
    (_device("mobile", "Android", "Android 14", "Chrome", "131.0.6778.135", "Samsung", "SM-S921N"), 24),
    (_device("mobile", "Android", "Android 13", "Samsung Internet", "26.0", "Samsung", "SM-A546S"), 8),
    (_device("mobile", "iOS", "iOS 18.1", "Safari", "18.1", "Apple", "iPhone"), 30),
    (_device("desktop", "Windows", "Windows 11", "Chrome", "131.0.6778.86", "Microsoft", "(not set)"), 21),
    (_device("desktop", "Windows", "Windows 10", "Edge", "131.0.2903.70", "Microsoft", "(not set)"), 5),
    (_device("desktop", "Macintosh", "Macintosh 14.6", "Safari", "18.1", "Apple", "(not set)"), 5),
    (_device("desktop", "Macintosh", "Macintosh 14.6", "Chrome", "131.0.6778.86", "Apple", "(not set)",
             "en-us"), 4),
    (_device("tablet", "iOS", "iPadOS 18.1", "Safari", "18.1", "Apple", "iPad"), 3),
)
DEVICE_P = np.array([w for _, w in DEVICES], dtype=float) / sum(w for _, w in DEVICES)


def _geo(country: str, region: str, city: str, continent: str = "Asia",
         sub_continent: str = "Eastern Asia") -> dict:
    """A location as the GA4 export's `geo` record."""
    return {"city": city, "country": country, "continent": continent, "region": region,
            "sub_continent": sub_continent, "metro": "(not set)"}


# (geo record, ISO country code for the membership export, share of visitors)
GEOS = (
    (_geo("South Korea", "Seoul", "Seoul"), "KR", 44),
    (_geo("South Korea", "Gyeonggi-do", "Seongnam-si"), "KR", 11),
    (_geo("South Korea", "Gyeonggi-do", "Suwon-si"), "KR", 8),
    (_geo("South Korea", "Busan", "Busan"), "KR", 9),
    (_geo("South Korea", "Incheon", "Incheon"), "KR", 7),
    (_geo("South Korea", "Daegu", "Daegu"), "KR", 5),
    (_geo("South Korea", "Daejeon", "Daejeon"), "KR", 4),
    (_geo("South Korea", "Gwangju", "Gwangju"), "KR", 3),
    (_geo("Japan", "Tokyo", "Tokyo"), "JP", 4),
    (_geo("United States", "California", "Los Angeles", "Americas", "Northern America"), "US", 3),
    (_geo("Vietnam", "Ho Chi Minh City", "Ho Chi Minh City", sub_continent="South-Eastern Asia"), "VN", 2),
)
GEO_P = np.array([w for *_, w in GEOS], dtype=float) / sum(w for *_, w in GEOS)

PAGES = (
    ("/", "멤버십 | 홈"),
    ("/pricing", "요금제 안내"),
    ("/about", "서비스 소개"),
    ("/blog/membership-guide", "멤버십 200% 활용법"),
    ("/blog/monthly-vs-annual", "월간 vs 연간, 무엇이 이득일까"),
    ("/events", "이벤트"),
    ("/content/weekly-picks", "이번 주 추천"),
    ("/signup", "회원가입"),
    ("/mypage", "마이페이지"),
    ("/checkout", "결제하기"),
)
LANDING_PAGES = 7  # the first seven pages are where visitors land
PAGE_SIGNUP, PAGE_MYPAGE, PAGE_CHECKOUT = 7, 8, 9

PLAN_FREE, PLAN_MONTHLY, PLAN_ANNUAL = 0, 1, 2
PLAN_NAMES = ("free", "monthly", "annual")
PLAN_PRICES_KRW = (0, 9900, 99000)
KRW_PER_USD = 1400.0

# Event kinds, in the order GA4 logs events that share a timestamp.
EV_FIRST_VISIT, EV_SESSION_START, EV_PAGE_VIEW, EV_USER_ENGAGEMENT, EV_SIGN_UP, EV_PURCHASE = range(6)
EVENT_NAMES = ("first_visit", "session_start", "page_view", "user_engagement", "sign_up", "purchase")

# ---------------------------------------------------------------------------
# GA4 export schema (BigQuery names and types, as documented by Google)
# ---------------------------------------------------------------------------

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
])

MEMBER_COLUMNS = (
    "member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at",
    "plan_price_krw", "country",
)


# ---------------------------------------------------------------------------
# Random streams and time helpers
# ---------------------------------------------------------------------------

def _rng(seed: int, stream: int, key: int) -> np.random.Generator:
    """An independent random stream for (seed, purpose, key), whatever else is drawn."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, key))))


def _hash_uniform(keys: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers from uint64 keys (splitmix64), for per-page details.

    Page-level details are derived from a session's seed instead of drawn, so they can
    be computed day by day without storing them.
    """
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _local_midnight_us(day: date) -> int:
    """The UTC instant (micros) at which `day` starts in Asia/Seoul."""
    return (day - date(1970, 1, 1)).days * DAY_US - SOURCE_TZ_OFFSET_US


def _time_of_day_us(rng: np.random.Generator, n: int) -> np.ndarray:
    hours = rng.choice(24, size=n, p=HOUR_P)
    return hours * HOUR_US + rng.integers(0, HOUR_US, size=n)


def _local_day(ts_us: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of the Asia/Seoul date of UTC micros."""
    return (ts_us + SOURCE_TZ_OFFSET_US) // DAY_US


def _weekday_of_us(ts_us: np.ndarray) -> np.ndarray:
    """Monday = 0 weekday of UTC micros, in Asia/Seoul (1970-01-01 was a Thursday)."""
    return ((ts_us + SOURCE_TZ_OFFSET_US) // DAY_US + 3) % 7


def _traffic_factor(day_index: int, day: date) -> float:
    # Gentle growth with a mean of 1 over the first year, flat after the second.
    growth = 0.9 + 0.2 * min(day_index, 730) / 365
    return growth * WEEKDAY_FACTOR[day.weekday()]


def _gather(values: np.ndarray, index: np.ndarray, missing: int) -> np.ndarray:
    """values[index] where index >= 0, `missing` where it is -1 (values may be empty)."""
    out = np.full(len(index), missing, dtype=values.dtype if len(values) else np.int64)
    has = index >= 0
    out[has] = values[index[has]]
    return out


def _shift_day_keep_time(base_us: np.ndarray, day_offset: np.ndarray, time_of_day_us: np.ndarray) -> np.ndarray:
    """The instant `day_offset` local days after base's local day, at `time_of_day_us`."""
    base_day = (base_us + SOURCE_TZ_OFFSET_US) // DAY_US
    return (base_day + day_offset) * DAY_US - SOURCE_TZ_OFFSET_US + time_of_day_us


# ---------------------------------------------------------------------------
# Simulation: one arrival day at a time, each visitor's whole future at once
# ---------------------------------------------------------------------------

@dataclass
class Arrivals:
    """The visitors and members who first appear on one day, and all their sessions."""

    # visitors (index = position in this day's cohort)
    v_arrival_us: np.ndarray
    v_pseudo_rand: np.ndarray
    v_channel: np.ndarray
    v_device: np.ndarray
    v_geo: np.ndarray
    v_member: np.ndarray  # index into this cohort's members, -1 for non-members
    # members (web signers first, then offline ones)
    m_signup_us: np.ndarray
    m_first_paid_us: np.ndarray
    m_canceled_us: np.ndarray
    m_plan: np.ndarray
    m_geo: np.ndarray
    m_channel: np.ndarray  # index into CHANNELS, len(CHANNELS) = signed up offline
    m_user_id: np.ndarray  # uint64, 0 = no user_id
    m_invalid_draw: np.ndarray  # uniform; --messy breaks the lifecycle of the lowest ones
    # sessions
    s_visitor: np.ndarray
    s_start_us: np.ndarray
    s_number: np.ndarray
    s_pages: np.ndarray
    s_engaged: np.ndarray
    s_channel: np.ndarray
    s_seed: np.ndarray
    s_kind: np.ndarray  # bit 1: first session, 2: holds the sign_up, 4: holds the purchase


S_FIRST, S_SIGNUP, S_PURCHASE = 1, 2, 4


def _draw_lifecycles(
    rng: np.random.Generator, signup_us: np.ndarray, pay_factor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First payment, cancellation, plan, a draw for --messy, and how a payer converted.

    Drawn for everyone in `signup_us` (NONE_US where it does not happen), so the number
    of draws never depends on outcomes.
    """
    n = len(signup_us)
    pays = rng.random(n) < 0.30 * pay_factor
    # How a payer converts: right away, at the end of a 7-day trial, or some days later.
    mode = rng.choice(3, size=n, p=[0.45, 0.35, 0.20])
    immediate = rng.integers(60, 1200, size=n) * SECOND_US
    # Trials end with a billing run early on local day 7 after signup; a quarter of
    # the charges fail once and go through on the retry a day later.
    trial_day = 7 + (rng.random(n) < 0.25)
    trial = _shift_day_keep_time(signup_us, trial_day, rng.integers(10 * 60, 9 * 3600, size=n) * SECOND_US)
    trial = trial - signup_us
    later = DAY_US + (rng.exponential(20.0, size=n) * DAY_US).astype(np.int64)
    delay = np.where(mode == 0, immediate, np.where(mode == 1, trial, later))
    annual = rng.random(n) < 0.28
    plan = np.where(pays, np.where(annual, PLAN_ANNUAL, PLAN_MONTHLY), PLAN_FREE)
    # Payers cancel with a monthly hazard of about 7 % (monthly) or 2 % (annual).
    tenure = (rng.exponential(1.0, size=n) * np.where(annual, 1500.0, 400.0) * DAY_US).astype(np.int64)
    free_cancels = rng.random(n) < 0.12
    free_tenure = (rng.exponential(25.0, size=n) * DAY_US).astype(np.int64)
    first_paid = np.where(pays, signup_us + delay, NONE_US)
    canceled = np.where(
        pays,
        first_paid + HOUR_US + tenure,
        np.where(free_cancels, signup_us + HOUR_US + free_tenure, NONE_US),
    )
    invalid_draw = rng.random(n)
    return first_paid, canceled, plan.astype(np.int8), invalid_draw, mode


def _returns(rng: np.random.Generator, base_us: np.ndarray, counts: np.ndarray, mean_gap_days: np.ndarray,
             uniform_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return-visit instants after base_us: whole local days later, at a usual hour.

    A visit either follows base after an exponential gap (mean_gap_days: visits decay)
    or, with probability `uniform_share`, falls anywhere in the return window (the
    habitual visits of a member). Weekend visits are thinned.
    """
    owner = np.repeat(np.arange(len(base_us)), counts)
    m = len(owner)
    decaying = rng.random(m) >= uniform_share[owner]
    gap = np.where(
        decaying,
        1 + np.floor(rng.exponential(1.0, size=m) * mean_gap_days[owner]),
        rng.integers(1, RETURN_WINDOW_DAYS + 1, size=m),
    ).astype(np.int64)
    starts = _shift_day_keep_time(base_us[owner], gap, _time_of_day_us(rng, m))
    keep = rng.random(m) < WEEKDAY_FACTOR[_weekday_of_us(starts)] / WEEKDAY_FACTOR.max()
    return owner[keep], starts[keep]


def simulate_arrivals(seed: int, start: date, day_index: int, members_per_year: float) -> Arrivals:
    """Everything that starts on day `day_index`: new visitors, their futures, members."""
    rng = _rng(seed, _STREAM_ARRIVALS, day_index)
    day = start + timedelta(days=day_index)
    factor = _traffic_factor(day_index, day)
    web_signups = members_per_year / 365.0 * (1 - OFFLINE_MEMBER_SHARE)
    n_vis = int(rng.poisson(web_signups / MEAN_SIGNUP_RATE * factor))
    n_off = int(rng.poisson(members_per_year / 365.0 * OFFLINE_MEMBER_SHARE * factor))
    midnight = _local_midnight_us(day)

    channel = rng.choice(len(CHANNELS), size=n_vis, p=CHANNEL_P).astype(np.int8)
    device = rng.choice(len(DEVICES), size=n_vis, p=DEVICE_P).astype(np.int8)
    geo = rng.choice(len(GEOS), size=n_vis, p=GEO_P).astype(np.int8)
    pseudo_rand = rng.integers(100_000_000, 2_147_483_647, size=n_vis)
    arrival = midnight + _time_of_day_us(rng, n_vis)

    # Who signs up, and when: most in their first session, the rest days later.
    signs_up = rng.random(n_vis) < CHANNEL_SIGNUP[channel]
    in_first_session = rng.random(n_vis) < 0.55
    signup_lead = rng.integers(40, 600, size=n_vis) * SECOND_US
    later_day = 1 + np.floor(rng.exponential(4.0, size=n_vis)).astype(np.int64)
    later_signup = np.maximum(
        _shift_day_keep_time(arrival, later_day, _time_of_day_us(rng, n_vis)),
        arrival + 3 * HOUR_US,
    )
    signup_all = np.where(in_first_session, arrival + signup_lead, later_signup)
    first_paid_all, canceled_all, plan_all, invalid_all, pay_mode_all = _draw_lifecycles(
        rng, signup_all, CHANNEL_PAY[channel]
    )
    user_id_all = rng.integers(1 << 40, 1 << 63, size=n_vis, dtype=np.uint64)

    members_idx = np.flatnonzero(signs_up)
    v_member = np.full(n_vis, -1, dtype=np.int32)
    v_member[members_idx] = np.arange(len(members_idx), dtype=np.int32)

    off_signup = midnight + _time_of_day_us(rng, n_off)
    off_paid, off_canceled, off_plan, off_invalid, _ = _draw_lifecycles(rng, off_signup, np.ones(n_off))
    off_geo = rng.choice(len(GEOS), size=n_off, p=GEO_P).astype(np.int8)

    # Sessions. Per visitor: the first one, anonymous returns, the sign-up session,
    # the payment session, returns as a member.
    anon_counts = rng.poisson(0.55, size=n_vis)
    anon_owner, anon_start = _returns(
        rng, arrival, anon_counts, np.full(n_vis, 6.0), np.full(n_vis, 0.05)
    )
    # Before signing up, a visitor's anonymous visits end well before the sign-up session.
    before_signup = ~signs_up[anon_owner] | (
        anon_start < signup_all[anon_owner] - signup_lead[anon_owner] - 2 * HOUR_US
    )
    anon_owner, anon_start = anon_owner[before_signup], anon_start[before_signup]

    pays = first_paid_all != NONE_US
    member_counts = rng.poisson(np.where(pays, 7.0, 2.5) + np.where(pays, 0.03, 0.008) * RETURN_WINDOW_DAYS)
    uniform_share = np.where(pays, 0.03, 0.008) * RETURN_WINDOW_DAYS / (
        np.where(pays, 7.0, 2.5) + np.where(pays, 0.03, 0.008) * RETURN_WINDOW_DAYS
    )
    mem_owner, mem_start = _returns(
        rng, signup_all, np.where(signs_up, member_counts, 0), np.where(pays, 20.0, 8.0), uniform_share
    )
    # After a cancellation a member seldom comes back.
    after_cancel = mem_start > canceled_all[mem_owner]
    keep = ~after_cancel | (rng.random(len(mem_owner)) < 0.1)
    mem_owner, mem_start = mem_owner[keep], mem_start[keep]

    signup_session = signs_up & ~in_first_session
    paid_in_signup_session = signs_up & pays & (pay_mode_all == 0)
    pay_session = signs_up & pays & (pay_mode_all != 0)
    pay_lead = rng.integers(20, 300, size=n_vis) * SECOND_US

    first_kind = S_FIRST | np.where(signs_up & in_first_session, S_SIGNUP, 0)
    first_kind = first_kind | np.where(in_first_session & paid_in_signup_session, S_PURCHASE, 0)
    su_owner = np.flatnonzero(signup_session)
    su_kind = S_SIGNUP | np.where(paid_in_signup_session[su_owner], S_PURCHASE, 0)
    pay_owner = np.flatnonzero(pay_session)

    s_visitor = np.concatenate([np.arange(n_vis), anon_owner, su_owner, pay_owner, mem_owner]).astype(np.int32)
    s_start = np.concatenate([
        arrival,
        anon_start,
        signup_all[su_owner] - signup_lead[su_owner],
        first_paid_all[pay_owner] - pay_lead[pay_owner],
        mem_start,
    ])
    s_kind = np.concatenate([
        first_kind,
        np.zeros(len(anon_owner), dtype=np.int64),
        su_kind,
        np.full(len(pay_owner), S_PURCHASE),
        np.zeros(len(mem_owner), dtype=np.int64),
    ]).astype(np.int8)
    n_s = len(s_visitor)
    special = (s_kind & (S_SIGNUP | S_PURCHASE)) != 0
    is_first = (s_kind & S_FIRST) != 0
    engaged = special | (rng.random(n_s) < np.where(is_first, 0.6, 0.7))
    pages = np.where(engaged, 2 + np.minimum(rng.geometric(0.6, size=n_s) - 1, 10), 1).astype(np.int8)
    return_channel = rng.choice(len(CHANNELS), size=n_s, p=RETURN_CHANNEL_P)
    s_channel = np.where(is_first, channel[s_visitor], return_channel).astype(np.int8)
    s_seed = rng.integers(0, np.iinfo(np.int64).max, size=n_s).astype(np.uint64)

    # ga_session_number: the rank of the session among the visitor's sessions.
    order = np.lexsort((s_start, s_visitor))
    s_visitor, s_start, s_kind = s_visitor[order], s_start[order], s_kind[order]
    engaged, pages, s_channel, s_seed = engaged[order], pages[order], s_channel[order], s_seed[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(s_visitor)) + 1]
    number = np.arange(n_s) - np.repeat(group_start, np.diff(np.r_[group_start, n_s])) + 1

    return Arrivals(
        v_arrival_us=arrival,
        v_pseudo_rand=pseudo_rand,
        v_channel=channel,
        v_device=device,
        v_geo=geo,
        v_member=v_member,
        m_signup_us=np.concatenate([signup_all[members_idx], off_signup]),
        m_first_paid_us=np.concatenate([first_paid_all[members_idx], off_paid]),
        m_canceled_us=np.concatenate([canceled_all[members_idx], off_canceled]),
        m_plan=np.concatenate([plan_all[members_idx], off_plan]),
        m_geo=np.concatenate([geo[members_idx], off_geo]),
        m_channel=np.concatenate([channel[members_idx], np.full(n_off, len(CHANNELS), dtype=np.int8)]),
        m_user_id=np.concatenate([user_id_all[members_idx], np.zeros(n_off, dtype=np.uint64)]),
        m_invalid_draw=np.concatenate([invalid_all[members_idx], off_invalid]),
        s_visitor=s_visitor,
        s_start_us=s_start,
        s_number=number.astype(np.int32),
        s_pages=pages,
        s_engaged=engaged,
        s_channel=s_channel,
        s_seed=s_seed,
        s_kind=s_kind,
    )


@dataclass
class World:
    """All visitors, members and sessions of the range, cut at its end."""

    start: date
    days: int
    end_us: int  # first instant after the range
    v_arrival_us: np.ndarray
    v_pseudo_rand: np.ndarray
    v_channel: np.ndarray
    v_device: np.ndarray
    v_geo: np.ndarray
    v_member: np.ndarray  # index into the member arrays (member_id order), -1 if none
    m_signup_us: np.ndarray
    m_first_paid_us: np.ndarray
    m_canceled_us: np.ndarray
    m_plan: np.ndarray
    m_geo: np.ndarray
    m_channel: np.ndarray
    m_user_id: np.ndarray
    m_invalid_draw: np.ndarray
    s_visitor: np.ndarray  # sessions sorted by start
    s_start_us: np.ndarray
    s_number: np.ndarray
    s_pages: np.ndarray
    s_engaged: np.ndarray
    s_channel: np.ndarray
    s_seed: np.ndarray
    s_kind: np.ndarray


def simulate(seed: int, start: date, days: int, members_per_year: float) -> World:
    end_us = _local_midnight_us(start + timedelta(days=days))
    v_parts: dict[str, list[np.ndarray]] = {}
    m_parts: dict[str, list[np.ndarray]] = {}
    s_parts: dict[str, list[np.ndarray]] = {}
    m_keys: list[np.ndarray] = []
    v_offset = 0
    m_offset = 0
    for day_index in range(days):
        a = simulate_arrivals(seed, start, day_index, members_per_year)
        in_range_s = a.s_start_us < end_us
        in_range_m = a.m_signup_us < end_us
        # Members are numbered within the kept ones; a visitor whose signup falls after
        # the range is not (yet) a member.
        kept_m = np.flatnonzero(in_range_m)
        renumber = np.full(len(a.m_signup_us), -1, dtype=np.int64)
        renumber[kept_m] = np.arange(len(kept_m)) + m_offset
        v_member = _gather(renumber, a.v_member, -1)
        for name in ("v_arrival_us", "v_pseudo_rand", "v_channel", "v_device", "v_geo"):
            v_parts.setdefault(name, []).append(getattr(a, name))
        v_parts.setdefault("v_member", []).append(v_member)
        for name in ("m_signup_us", "m_first_paid_us", "m_canceled_us", "m_plan", "m_geo", "m_channel",
                     "m_user_id", "m_invalid_draw"):
            m_parts.setdefault(name, []).append(getattr(a, name)[kept_m])
        m_keys.append(np.full(len(kept_m), day_index))
        for name in ("s_start_us", "s_number", "s_pages", "s_engaged", "s_channel", "s_seed", "s_kind"):
            s_parts.setdefault(name, []).append(getattr(a, name)[in_range_s])
        s_parts.setdefault("s_visitor", []).append(a.s_visitor[in_range_s].astype(np.int64) + v_offset)
        v_offset += len(a.v_arrival_us)
        m_offset += len(kept_m)

    def cat(parts: dict[str, list[np.ndarray]], name: str, dtype) -> np.ndarray:
        chunks = parts.get(name, [])
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)

    v = {k: cat(v_parts, k, np.int64) for k in ("v_arrival_us", "v_pseudo_rand", "v_channel",
                                                 "v_device", "v_geo", "v_member")}
    m = {k: cat(m_parts, k, np.int64) for k in ("m_signup_us", "m_first_paid_us", "m_canceled_us",
                                                 "m_plan", "m_geo", "m_channel", "m_user_id",
                                                 "m_invalid_draw")}
    s = {k: cat(s_parts, k, np.int64) for k in ("s_visitor", "s_start_us", "s_number", "s_pages",
                                                 "s_engaged", "s_channel", "s_seed", "s_kind")}
    # member_id follows signup order; ties (same microsecond) by arrival day then position.
    m_day = np.concatenate(m_keys) if m_keys else np.zeros(0, dtype=np.int64)
    member_order = np.lexsort((np.arange(len(m_day)), m_day, m["m_signup_us"]))
    rank = np.empty(len(member_order), dtype=np.int64)
    rank[member_order] = np.arange(len(member_order))
    m = {k: arr[member_order] for k, arr in m.items()}
    v["v_member"] = _gather(rank, v["v_member"], -1)
    session_order = np.argsort(s["s_start_us"], kind="stable")
    s = {k: arr[session_order] for k, arr in s.items()}
    return World(start=start, days=days, end_us=end_us, **v, **m, **s)


# ---------------------------------------------------------------------------
# GA4: one day's events, vectorised
# ---------------------------------------------------------------------------

def _dwell_seconds(seed: np.ndarray, page_index: np.ndarray, engaged: np.ndarray) -> np.ndarray:
    u = _hash_uniform(seed ^ (page_index.astype(np.uint64) * np.uint64(0x632BE59BD9B4E019)))
    engaged_dwell = np.minimum(4.0 - 32.0 * np.log1p(-u), 300.0)
    return np.where(engaged, engaged_dwell, 1.0 + 7.0 * u)


def _page_index(seed: np.ndarray, page_index: np.ndarray) -> np.ndarray:
    u = _hash_uniform(seed ^ np.uint64(0xD1B54A32D192ED03) ^ page_index.astype(np.uint64))
    return (u * LANDING_PAGES).astype(np.int64)


class _Strings:
    """Interns one day's strings: values become indices into a single array."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.values)
            self.values.append(value)
        return self.index[value]

    def codes(self, values: Iterable[str]) -> np.ndarray:
        return np.array([self.code(v) for v in values], dtype=np.int64)

    def column(self, codes: np.ndarray) -> pa.Array:
        """A string array from codes; -1 means null."""
        mask = codes < 0
        indices = pa.array(np.where(mask, 0, codes), mask=mask, type=pa.int64())
        return pa.array(self.values, type=pa.string()).take(indices)


def _lookup_struct(type_: pa.StructType, records: list[dict], codes: np.ndarray,
                   overrides: dict[str, pa.Array] | None = None, mask: np.ndarray | None = None) -> pa.StructArray:
    """A struct column whose row i is records[codes[i]]; absent fields are null."""
    children = []
    for field in type_:
        if overrides and field.name in overrides:
            children.append(overrides[field.name])
        elif pa.types.is_struct(field.type):
            children.append(_lookup_struct(field.type, [r.get(field.name) or {} for r in records], codes))
        else:
            values = pa.array([r.get(field.name) for r in records], type=field.type)
            children.append(values.take(pa.array(codes, type=pa.int64())))
    return pa.StructArray.from_arrays(
        children, fields=list(type_), mask=None if mask is None else pa.array(mask, type=pa.bool_())
    )


def _constant(value: str, type_: pa.DataType, n: int) -> pa.Array:
    return pa.array([value], type=type_).take(pa.array(np.zeros(n, dtype=np.int64)))


@dataclass
class DayEvents:
    """One local day's events, sorted by time, with their sessions' attributes."""

    day_index: int
    timestamp_us: np.ndarray
    kind: np.ndarray  # EV_*
    visitor: np.ndarray  # global visitor index
    member: np.ndarray  # member index or -1
    session_start_us: np.ndarray
    session_number: np.ndarray
    session_channel: np.ndarray
    session_seed: np.ndarray
    engaged: np.ndarray  # the session is engaged
    page: np.ndarray  # index into PAGES
    page_number: np.ndarray  # 0-based page of a page_view, -1 for other events
    engagement_msec: np.ndarray  # user_engagement only, -1 elsewhere


def expand_sessions(world: World, day_index: int) -> DayEvents:
    """The events of every session that touches the day, kept if they fall in it."""
    day_start = _local_midnight_us(world.start + timedelta(days=day_index))
    day_end = day_start + DAY_US
    lo = int(np.searchsorted(world.s_start_us, day_start - SESSION_WINDOW_US, side="left"))
    hi = int(np.searchsorted(world.s_start_us, day_end, side="left"))
    sess = np.arange(lo, hi)
    n_sess = len(sess)
    start_us = world.s_start_us[sess]
    kind = world.s_kind[sess]
    pages = world.s_pages[sess].astype(np.int64)
    engaged = world.s_engaged[sess].astype(bool)
    seed = world.s_seed[sess].astype(np.uint64)
    member = world.v_member[world.s_visitor[sess]]

    # Page views, each followed in an engaged session by the user_engagement event that
    # reports the time spent on the page.
    first_pv = np.cumsum(pages) - pages
    pv_sess = np.repeat(np.arange(n_sess), pages)
    pv_k = np.arange(int(pages.sum())) - np.repeat(first_pv, pages)
    dwell_us = (_dwell_seconds(seed[pv_sess], pv_k, engaged[pv_sess]) * SECOND_US).astype(np.int64)
    cum = np.cumsum(dwell_us)
    elapsed_before = cum - dwell_us - np.repeat(np.r_[0, cum][first_pv], pages)
    pv_ts = start_us[pv_sess] + elapsed_before + pv_k * 1_000  # page loads take a moment
    page = _page_index(seed[pv_sess], pv_k)
    # The sign-up and checkout flows end on their own pages.
    last = pv_k == pages[pv_sess] - 1
    page = np.where(last & ((kind[pv_sess] & S_SIGNUP) != 0), PAGE_SIGNUP, page)
    page = np.where(last & ((kind[pv_sess] & S_PURCHASE) != 0), PAGE_CHECKOUT, page)
    ue = engaged[pv_sess]
    landing = page[first_pv]

    first_sess = np.flatnonzero((kind & S_FIRST) != 0)
    signup_sess = np.flatnonzero((kind & S_SIGNUP) != 0)
    purchase_sess = np.flatnonzero((kind & S_PURCHASE) != 0)
    all_sess = np.arange(n_sess)
    # A session whose sign-up or payment falls after the range has no member yet:
    # NONE_US drops those events below.
    signup_us = _gather(world.m_signup_us, member, NONE_US)
    paid_us = _gather(world.m_first_paid_us, member, NONE_US)
    parts = [  # (session, kind, timestamp, page, page_number, engagement_msec)
        (first_sess, EV_FIRST_VISIT, start_us[first_sess], landing[first_sess], 0, -1),
        (all_sess, EV_SESSION_START, start_us, landing, 0, -1),
        (pv_sess, EV_PAGE_VIEW, pv_ts, page, pv_k, -1),
        (pv_sess[ue], EV_USER_ENGAGEMENT, pv_ts[ue] + dwell_us[ue], page[ue], -1,
         np.maximum(dwell_us[ue] // 1000 - 300, 1)),
        (signup_sess, EV_SIGN_UP, signup_us[signup_sess], PAGE_SIGNUP, -1, -1),
        (purchase_sess, EV_PURCHASE, paid_us[purchase_sess], PAGE_CHECKOUT, -1, -1),
    ]

    def column(i: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(p[i], dtype=np.int64), len(p[0])) for p in parts])

    ev_sess, ev_kind, ev_ts, ev_page, ev_k, ev_msec = (column(i) for i in range(6))
    ev_visitor = world.s_visitor[sess][ev_sess]
    order = np.lexsort((ev_kind, ev_visitor, ev_ts))
    order = order[(ev_ts[order] >= day_start) & (ev_ts[order] < day_end)]
    ev_sess = ev_sess[order]
    return DayEvents(
        day_index=day_index,
        timestamp_us=ev_ts[order],
        kind=ev_kind[order],
        visitor=ev_visitor[order],
        member=member[ev_sess],
        session_start_us=start_us[ev_sess],
        session_number=world.s_number[sess][ev_sess].astype(np.int64),
        session_channel=world.s_channel[sess][ev_sess].astype(np.int64),
        session_seed=seed[ev_sess],
        engaged=engaged[ev_sess],
        page=ev_page[order],
        page_number=ev_k[order],
        engagement_msec=ev_msec[order],
    )


def _event_params(ev: DayEvents, world: World, strings: _Strings) -> tuple[pa.ListArray, np.ndarray]:
    """event_params for each event, and each purchase's value in KRW."""
    n = len(ev.kind)
    rows = np.arange(n)
    blocks: list[tuple[np.ndarray, int, np.ndarray | None, np.ndarray | None, np.ndarray | None]] = []

    def add(at: np.ndarray, key: str, s_codes: np.ndarray | None = None, ints: np.ndarray | None = None,
            doubles: np.ndarray | None = None) -> None:
        blocks.append((at, strings.code(key), s_codes, ints, doubles))

    add(rows, "ga_session_id", ints=ev.session_start_us // SECOND_US)
    add(rows, "ga_session_number", ints=ev.session_number)
    if ev.day_index < IS_ACTIVE_USER_NULL_DAYS:
        add(rows, "session_engaged", ints=ev.engaged.astype(np.int64))
    else:
        add(rows, "session_engaged", s_codes=np.where(ev.engaged, strings.code("1"), strings.code("0")))
    add(rows, "page_location", s_codes=strings.codes([SITE + path for path, _ in PAGES])[ev.page])
    add(rows, "page_title", s_codes=strings.codes([title for _, title in PAGES])[ev.page])
    pv = np.flatnonzero(ev.kind == EV_PAGE_VIEW)
    # The landing page's referrer is the channel's; later pages are referred by the site.
    channel_referrer = np.array([strings.code(c.referrer) if c.referrer else -1 for c in CHANNELS])
    referrer = np.where(ev.page_number[pv] == 0, channel_referrer[ev.session_channel[pv]],
                        strings.code(SITE + "/"))
    add(pv[referrer >= 0], "page_referrer", s_codes=referrer[referrer >= 0])
    ue = np.flatnonzero(ev.kind == EV_USER_ENGAGEMENT)
    add(ue, "engagement_time_msec", ints=ev.engagement_msec[ue])
    su = np.flatnonzero(ev.kind == EV_SIGN_UP)
    kakao = _hash_uniform(ev.session_seed[su] ^ np.uint64(77)) < 0.6
    add(su, "method", s_codes=np.where(kakao, strings.code("kakao"), strings.code("email")))
    pu = np.flatnonzero(ev.kind == EV_PURCHASE)
    payer = ev.member[pu]
    value = np.array(PLAN_PRICES_KRW, dtype=np.float64)[world.m_plan[payer].astype(np.int64)]
    add(pu, "transaction_id", s_codes=strings.codes([f"T{MEMBER_ID_BASE + 1 + m}-1" for m in payer.tolist()]))
    add(pu, "value", doubles=value)
    add(pu, "currency", s_codes=np.full(len(pu), strings.code("KRW")))

    def stacked(i: int, fill: float, dtype: type) -> np.ndarray:
        return np.concatenate([np.full(len(b[0]), fill, dtype=dtype) if b[i] is None
                               else np.broadcast_to(b[i], len(b[0])).astype(dtype) for b in blocks])

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


def build_ga4_day(world: World, day_index: int, seed: int) -> pa.Table:
    """The events of one local day, as a table in GA4_SCHEMA."""
    day = world.start + timedelta(days=day_index)
    ev = expand_sessions(world, day_index)
    n = len(ev.kind)
    strings = _Strings()

    # is_active_user: the visitor was active that day (engaged, or new), which is also
    # what the fallback definition finds where the column is null.
    visitors, local = np.unique(ev.visitor, return_inverse=True)
    active_event = (ev.kind == EV_USER_ENGAGEMENT) | (ev.kind == EV_FIRST_VISIT)
    active = np.bincount(local, weights=active_event, minlength=len(visitors)) > 0
    is_active = pa.array(active[local], mask=np.full(n, day_index < IS_ACTIVE_USER_NULL_DAYS), type=pa.bool_())

    pseudo_ids = [f"{r}.{t}" for r, t in zip(world.v_pseudo_rand[visitors].tolist(),
                                              (world.v_arrival_us[visitors] // SECOND_US).tolist())]
    pseudo_codes = strings.codes(pseudo_ids)[local]
    # user_id from the sign_up on, for members who have one.
    member = np.maximum(ev.member, 0)
    logged_in = (ev.member >= 0) & (_gather(world.m_user_id, ev.member, 0) != 0)
    logged_in &= ev.timestamp_us >= _gather(world.m_signup_us, ev.member, NONE_US)
    users, user_local = np.unique(member[logged_in], return_inverse=True)
    user_codes = np.full(n, -1, dtype=np.int64)
    user_codes[logged_in] = strings.codes(format(u, "016x") for u in world.m_user_id[users].tolist())[user_local]

    event_params, purchase_krw = _event_params(ev, world, strings)

    # collected_traffic_source: the session's campaign tags; null when it had none.
    tagged = np.array([c.utm or c.gclid for c in CHANNELS], dtype=bool)[ev.session_channel]
    has_gclid = np.array([c.gclid for c in CHANNELS], dtype=bool)[ev.session_channel]
    gclid_codes = np.full(n, -1, dtype=np.int64)
    clicks = (ev.session_seed[has_gclid] % np.uint64(10**12)).tolist()
    gclid_codes[has_gclid] = strings.codes(f"Cj0KCQiA{x:012d}" for x in clicks)
    collected = _lookup_struct(
        COLLECTED_TRAFFIC_SOURCE_TYPE,
        [{"manual_source": c.source, "manual_medium": c.medium,
          "manual_campaign_name": c.name if c.utm else None} for c in CHANNELS],
        ev.session_channel, overrides={"gclid": strings.column(gclid_codes)}, mask=~tagged,
    )
    traffic_source = _lookup_struct(
        TRAFFIC_SOURCE_TYPE, [{"name": c.name, "medium": c.medium, "source": c.source} for c in CHANNELS],
        world.v_channel[ev.visitor].astype(np.int64),
    )
    device = _lookup_struct(DEVICE_TYPE, [d for d, _ in DEVICES], world.v_device[ev.visitor].astype(np.int64))
    geo = _lookup_struct(GEO_TYPE, [g for g, *_ in GEOS], world.v_geo[ev.visitor].astype(np.int64))

    bundle = 1_000_000_000 + (_hash_uniform(ev.session_seed ^ np.uint64(0xA5A5)) * 9e9).astype(np.int64) \
        + np.maximum(ev.page_number, 0)
    server_offset = (_hash_uniform(ev.session_seed + ev.kind.astype(np.uint64)) * 900_000).astype(np.int64)
    is_purchase = ~np.isnan(purchase_krw)

    table = pa.Table.from_arrays(
        [
            _constant(day.strftime("%Y%m%d"), pa.string(), n),
            pa.array(ev.timestamp_us, type=pa.int64()),
            pa.array(list(EVENT_NAMES), type=pa.string()).take(pa.array(ev.kind)),
            event_params,
            pa.nulls(n, type=pa.int64()),
            pa.array(np.where(is_purchase, purchase_krw / KRW_PER_USD, 0.0), mask=~is_purchase,
                     type=pa.float64()),
            pa.array(bundle, type=pa.int64()),
            pa.array(server_offset, type=pa.int64()),
            strings.column(user_codes),
            strings.column(pseudo_codes),
            pa.array(world.v_arrival_us[ev.visitor], type=pa.int64()),
            device,
            geo,
            traffic_source,
            _constant(STREAM_ID, pa.string(), n),
            _constant("WEB", pa.string(), n),
            collected,
            is_active,
        ],
        schema=GA4_SCHEMA,
    )
    # A few exact duplicate rows, as real exports have.
    rng = _rng(seed, _STREAM_DUPLICATES, day_index)
    duplicated = np.flatnonzero(rng.random(n) < 1 / 2000)
    if len(duplicated):
        table = table.take(pa.array(np.sort(np.concatenate([np.arange(n), duplicated]))))
    return table


# ---------------------------------------------------------------------------
# Membership exports
# ---------------------------------------------------------------------------

KOREAN_HEADERS = {
    "member_id": "회원ID", "user_id": "사용자ID", "signup_at": "가입일시", "plan": "요금제",
    "first_paid_at": "첫결제일시", "canceled_at": "해지일시",
}
KOREAN_HEADERS_ALT = {
    "member_id": "회원번호", "user_id": "사용자ID", "signup_at": "가입일", "plan": "플랜",
    "first_paid_at": "첫결제일", "canceled_at": "해지일",
}
# Messy datetime formats and their weights.
FORMAT_LOCAL, FORMAT_Z, FORMAT_OFFSET, FORMAT_SLASH_MINUTES, FORMAT_DOTS, FORMAT_DATE = range(6)
MESSY_FORMAT_P = np.array([0.45, 0.15, 0.07, 0.13, 0.10, 0.10])


def snapshot_dates(start: date, days: int) -> list[date]:
    """Last day of every month in the range, and the range's last day."""
    last = start + timedelta(days=days - 1)
    result = []
    d = start
    while d <= last:
        month_end = (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        result.append(min(month_end, last))
        d = month_end + timedelta(days=1)
    return result


def _local_strings(ts_us: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DDTHH:MM:SS' in Asia/Seoul for UTC micros (truncated to seconds)."""
    local = ((ts_us + SOURCE_TZ_OFFSET_US) // SECOND_US).astype("datetime64[s]")
    return np.datetime_as_string(local, unit="s")


def _format_datetimes(ts_us: np.ndarray, formats: np.ndarray) -> list[str]:
    """Text of each instant in its format; NONE_US becomes the empty string."""
    safe = np.where(ts_us == NONE_US, 0, ts_us)
    local = _local_strings(safe).tolist()
    utc = np.datetime_as_string((safe // SECOND_US).astype("datetime64[s]"), unit="s").tolist()
    out = []
    for ts, fmt, loc, u in zip(ts_us.tolist(), formats.tolist(), local, utc):
        if ts == NONE_US:
            out.append("")
        elif fmt == FORMAT_LOCAL:
            out.append(loc.replace("T", " "))
        elif fmt == FORMAT_Z:
            out.append(u + "Z")
        elif fmt == FORMAT_OFFSET:
            out.append(loc + "+09:00")
        elif fmt == FORMAT_SLASH_MINUTES:
            out.append(loc[:16].replace("-", "/").replace("T", " "))
        elif fmt == FORMAT_DOTS:
            out.append(loc[:10].replace("-", "."))
        else:
            out.append(loc[:10])
    return out


def _invalid_members(world: World) -> np.ndarray:
    """Members whose --messy export gets canceled_at before first_paid_at."""
    # Both rules depend only on each member's own draws and signup order, never on the
    # range's length, so a longer range breaks the same members. first_paid_us holds
    # the payment even when it falls after the range.
    # Only a payment on a later local date than the signup leaves room for a
    # cancellation on a date between the two (DESIGN.md compares dates).
    payers = (world.m_first_paid_us != NONE_US) & (
        _local_day(world.m_first_paid_us) > _local_day(world.m_signup_us))
    by_rate = payers & (world.m_invalid_draw < 1 / 300)
    # The first three members (in signup order) who pay within ten days, so that even a
    # short range shows some.
    quick = np.flatnonzero(payers & (world.m_first_paid_us - world.m_signup_us <= 10 * DAY_US))[:3]
    by_rate[quick] = True
    return np.flatnonzero(by_rate)


def write_member_snapshots(world: World, folder: Path, seed: int, messy: bool) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    signup = world.m_signup_us
    first_paid = world.m_first_paid_us
    canceled = world.m_canceled_us.copy()
    if messy:
        bad = _invalid_members(world)
        # The cancellation halfway between signup and the start of the payment's day.
        paid_day_start = _local_day(first_paid[bad]) * DAY_US - SOURCE_TZ_OFFSET_US
        canceled[bad] = signup[bad] + (paid_day_start - signup[bad]) // 2
    member_ids = [str(MEMBER_ID_BASE + 1 + i) for i in range(len(signup))]
    user_ids = np.array([format(u, "016x") if u else "" for u in world.m_user_id.tolist()], dtype=object)
    countries = np.array([code for _, code, _ in GEOS], dtype=object)[world.m_geo.astype(np.int64)]
    channel_labels = np.array([c.label_ko for c in CHANNELS] + [OFFLINE_CHANNEL_LABEL],
                              dtype=object)[world.m_channel.astype(np.int64)]
    written = []
    for ordinal, as_of in enumerate(snapshot_dates(world.start, world.days)):
        as_of_end = _local_midnight_us(as_of + timedelta(days=1))
        rows_idx = np.flatnonzero(signup < as_of_end)
        paid_now = first_paid[rows_idx] < as_of_end
        fp = np.where(paid_now, first_paid[rows_idx], NONE_US)
        c = np.where(canceled[rows_idx] < as_of_end, canceled[rows_idx], NONE_US)
        plan = np.where(paid_now, world.m_plan[rows_idx], PLAN_FREE).astype(np.int64)
        columns = {
            "member_id": [member_ids[i] for i in rows_idx.tolist()],
            "user_id": user_ids[rows_idx].tolist(),
            "plan": [PLAN_NAMES[p] for p in plan.tolist()],
            "plan_price_krw": [str(PLAN_PRICES_KRW[p]) for p in plan.tolist()],
            "country": countries[rows_idx].tolist(),
            "signup_channel": channel_labels[rows_idx].tolist(),
        }
        path = folder / f"members_{as_of:%Y%m%d}.csv"
        if messy:
            rng = _rng(seed, _STREAM_MESSY, int(as_of.strftime("%Y%m%d")))
            for name, values in (("signup_at", signup[rows_idx]), ("first_paid_at", fp), ("canceled_at", c)):
                columns[name] = _format_datetimes(values, rng.choice(6, size=len(rows_idx), p=MESSY_FORMAT_P))
            _write_messy_csv(path, columns, ordinal, rng)
        else:
            for name, values in (("signup_at", signup[rows_idx]), ("first_paid_at", fp), ("canceled_at", c)):
                columns[name] = _format_datetimes(values, np.full(len(rows_idx), FORMAT_LOCAL))
            _write_csv(path, list(MEMBER_COLUMNS), [columns[k] for k in MEMBER_COLUMNS],
                       encoding="utf-8", newline="\n", blank_after=set())
        end_of_day = as_of_end // SECOND_US - 1
        os.utime(path, (end_of_day, end_of_day))
        written.append(path)
    return written


def _write_csv(path: Path, header: list[str], columns: list[list[str]], encoding: str,
               newline: str, blank_after: set[int]) -> None:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator=newline)
        writer.writerow(header)
        for i, row in enumerate(zip(*columns)):
            writer.writerow(row)
            if i in blank_after:
                f.write(newline)


def _write_messy_csv(path: Path, columns: dict[str, list[str]], ordinal: int, rng: np.random.Generator) -> None:
    n = len(columns["member_id"])
    blank_after = set(rng.choice(n, size=min(n, 3), replace=False).tolist()) if n else set()
    blank_after.add(n - 1)  # a trailing empty line, as Excel leaves
    # Messy exports carry one more column, with Korean values.
    order = [*MEMBER_COLUMNS, "signup_channel"]
    if ordinal == 0:
        header = [KOREAN_HEADERS.get(k, k) for k in order]
        encoding, newline = "cp949", "\r\n"
    elif ordinal == 1:
        header = [KOREAN_HEADERS_ALT.get(k, k) for k in order]
        encoding, newline = "utf-8-sig", "\n"
    elif ordinal == 2:
        order = ["signup_at", "member_id", "plan", "signup_channel", "user_id", "country",
                 "first_paid_at", "canceled_at", "plan_price_krw"]
        header = [k.upper() for k in order]
        encoding, newline = "utf-8", "\n"
    else:
        header = order
        encoding, newline = "utf-8", "\n"
    _write_csv(path, header, [columns[k] for k in order], encoding=encoding, newline=newline,
               blank_after=blank_after)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

def generate(out_dir: Path, members: int = DEFAULT_MEMBERS_PER_YEAR, days: int = DEFAULT_DAYS,
             start: date = DEFAULT_START, seed: int = DEFAULT_SEED, messy: bool = False) -> dict:
    """Write the membership exports and GA4 files under out_dir; return a summary.

    `members` is the expected number of signups per 365 days of traffic (see the module
    docstring). The summary: out_dir, membership_files, ga4_files (paths), members
    (members in the last export), events (GA4 rows written), seconds.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}.")
    if members < 0:
        raise ValueError(f"members must be zero or more, got {members}.")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    membership_dir = out_dir / "membership"
    ga4_dir = out_dir / "ga4"
    for folder, pattern in ((membership_dir, "members_*.csv"), (ga4_dir, "events_*.parquet")):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(pattern):
            old.unlink()

    world = simulate(seed, start, days, float(members))
    csv_files = write_member_snapshots(world, membership_dir, seed, messy)
    ga4_files = []
    events = 0
    for day_index in range(days):
        table = build_ga4_day(world, day_index, seed)
        day = start + timedelta(days=day_index)
        path = ga4_dir / f"events_{day:%Y%m%d}.parquet"
        pq.write_table(table, path, compression="zstd")
        ga4_files.append(path)
        events += table.num_rows
    return {
        "out_dir": str(out_dir),
        "membership_files": [str(p) for p in csv_files],
        "ga4_files": [str(p) for p in ga4_files],
        "members": int(len(world.m_signup_us)),
        "events": events,
        "seconds": round(time.perf_counter() - began, 2),
    }


def _parse_date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"--start must be a date like 2025-01-01, got {text!r}.") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("sample_data"),
                        help="output folder (membership/ and ga4/ are created in it)")
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS_PER_YEAR,
                        help="expected signups per 365 days of traffic (default %(default)s)")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="days of data (default %(default)s)")
    parser.add_argument("--start", type=_parse_date, default=DEFAULT_START,
                        help="first day, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument("--messy", action="store_true",
                        help="write the membership CSVs like real exports (formats, encodings, headers)")
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out, args.members, args.days, args.start, args.seed, args.messy)
    except (ValueError, OSError) as exc:
        print(f"generate_sample_data: {exc}", file=sys.stderr)
        return 2
    print(
        f"Wrote {len(summary['membership_files'])} membership exports ({summary['members']} members) "
        f"and {len(summary['ga4_files'])} GA4 files ({summary['events']} events) "
        f"to {summary['out_dir']} in {summary['seconds']} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
