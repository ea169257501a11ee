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
    About 1 in 300 payers, and the first three who pay within ten days of signing up,
    get an invalid lifecycle: canceled_at a third of the way from signup_at to
    first_paid_at (so before the payment; until the payment shows, such a member looks
    like a free member who canceled).

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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

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


CHANNELS = (
    Channel("google", "organic", "(organic)", 30, 10, 0.045, 1.0, "https://www.google.com/", False, False),
    Channel("naver", "organic", "(organic)", 21, 8, 0.045, 1.0, "https://search.naver.com/", False, False),
    Channel("(direct)", "(none)", "(direct)", 17, 60, 0.060, 1.1, None, False, False),
    Channel("instagram", "social", "spring_launch", 8, 3, 0.025, 0.8, "https://l.instagram.com/", True, False),
    Channel("google", "cpc", "brand_search_kr", 9, 2, 0.080, 1.2, "https://www.google.com/", True, True),
    Channel("newsletter", "email", "weekly_letter", 4, 14, 0.110, 1.4, None, True, False),
    Channel("blog.naver.com", "referral", "(referral)", 8, 2, 0.050, 1.0, "https://blog.naver.com/", False, False),
    Channel("facebook", "social", "retargeting_kr", 3, 1, 0.030, 0.8, "https://m.facebook.com/", True, False),
)
CHANNEL_P = np.array([c.weight for c in CHANNELS]) / sum(c.weight for c in CHANNELS)
RETURN_CHANNEL_P = np.array([c.return_weight for c in CHANNELS]) / sum(c.return_weight for c in CHANNELS)
CHANNEL_SIGNUP = np.array([c.signup_rate for c in CHANNELS])
CHANNEL_PAY = np.array([c.pay_factor for c in CHANNELS])
MEAN_SIGNUP_RATE = float(CHANNEL_P @ CHANNEL_SIGNUP)

# category, os, os_version, browser, browser_version, brand, model, language, weight
DEVICES = (
    ("mobile", "Android", "Android 14", "Chrome", "131.0.6778.135", "Samsung", "SM-S921N", "ko-kr", 24),
    ("mobile", "Android", "Android 13", "Samsung Internet", "26.0", "Samsung", "SM-A546S", "ko-kr", 8),
    ("mobile", "iOS", "iOS 18.1", "Safari", "18.1", "Apple", "iPhone", "ko-kr", 30),
    ("desktop", "Windows", "Windows 11", "Chrome", "131.0.6778.86", "Microsoft", "(not set)", "ko-kr", 21),
    ("desktop", "Windows", "Windows 10", "Edge", "131.0.2903.70", "Microsoft", "(not set)", "ko-kr", 5),
    ("desktop", "Macintosh", "Macintosh 14.6", "Safari", "18.1", "Apple", "(not set)", "ko-kr", 5),
    ("desktop", "Macintosh", "Macintosh 14.6", "Chrome", "131.0.6778.86", "Apple", "(not set)", "en-us", 4),
    ("tablet", "iOS", "iPadOS 18.1", "Safari", "18.1", "Apple", "iPad", "ko-kr", 3),
)
DEVICE_P = np.array([d[-1] for d in DEVICES], dtype=float) / sum(d[-1] for d in DEVICES)

# continent, sub_continent, country, region, city, iso code, weight
GEOS = (
    ("Asia", "Eastern Asia", "South Korea", "Seoul", "Seoul", "KR", 44),
    ("Asia", "Eastern Asia", "South Korea", "Gyeonggi-do", "Seongnam-si", "KR", 11),
    ("Asia", "Eastern Asia", "South Korea", "Gyeonggi-do", "Suwon-si", "KR", 8),
    ("Asia", "Eastern Asia", "South Korea", "Busan", "Busan", "KR", 9),
    ("Asia", "Eastern Asia", "South Korea", "Incheon", "Incheon", "KR", 7),
    ("Asia", "Eastern Asia", "South Korea", "Daegu", "Daegu", "KR", 5),
    ("Asia", "Eastern Asia", "South Korea", "Daejeon", "Daejeon", "KR", 4),
    ("Asia", "Eastern Asia", "South Korea", "Gwangju", "Gwangju", "KR", 3),
    ("Asia", "Eastern Asia", "Japan", "Tokyo", "Tokyo", "JP", 4),
    ("Americas", "Northern America", "United States", "California", "Los Angeles", "US", 3),
    ("Asia", "South-Eastern Asia", "Vietnam", "Ho Chi Minh City", "Ho Chi Minh City", "VN", 2),
)
GEO_P = np.array([g[-1] for g in GEOS], dtype=float) / sum(g[-1] for g in GEOS)

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


def _draw_lifecycles(rng: np.random.Generator, signup_us: np.ndarray, pay_factor: np.ndarray):
    """First payment, cancellation and plan for members who signed up at `signup_us`."""
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


def _returns(rng, base_us, counts, mean_gap_days, uniform_days):
    """Return-visit instants after base_us: whole local days later, at a usual hour.

    Part of the visits decays exponentially after base (mean_gap_days); the rest, given
    by `uniform_days`, spread evenly over the return window. Weekends are thinned.
    """
    owner = np.repeat(np.arange(len(base_us)), counts)
    m = len(owner)
    decaying = rng.random(m) >= uniform_days[owner]
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
        for name in ("m_signup_us", "m_first_paid_us", "m_canceled_us", "m_plan", "m_geo",
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
                                                 "m_plan", "m_geo", "m_user_id", "m_invalid_draw")}
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
    landing = (u * LANDING_PAGES).astype(np.int64)
    inner = (u * len(PAGES[:PAGE_SIGNUP])).astype(np.int64)
    return np.where(page_index == 0, landing, inner)


class _Strings:
    """Interns strings for one day's table: values become indices into one array."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.values)
            self.values.append(value)
        return self.index[value]

    def codes(self, values) -> np.ndarray:
        return np.array([self.code(v) for v in values], dtype=np.int64)

    def column(self, codes: np.ndarray) -> pa.Array:
        """A string array from codes; -1 means null."""
        dictionary = pa.array(self.values, type=pa.string())
        mask = codes < 0
        indices = pa.array(np.where(mask, 0, codes), mask=mask, type=pa.int64())
        return dictionary.take(indices)


def _table_column(values: tuple[str | None, ...], codes: np.ndarray) -> pa.Array:
    return pa.array(list(values), type=pa.string()).take(pa.array(codes, type=pa.int64()))


def _format_pseudo_ids(rand: np.ndarray, first_touch_us: np.ndarray) -> list[str]:
    return [f"{r}.{t}" for r, t in zip(rand.tolist(), (first_touch_us // SECOND_US).tolist())]


def _format_user_ids(user_id: np.ndarray) -> list[str]:
    return [format(u, "016x") for u in user_id.tolist()]


def build_ga4_day(world: World, day_index: int, seed: int) -> pa.Table:
    """The events of one local day, as a table in GA4_SCHEMA."""
    day = world.start + timedelta(days=day_index)
    day_start = _local_midnight_us(day)
    day_end = day_start + DAY_US
    lo = int(np.searchsorted(world.s_start_us, day_start - SESSION_WINDOW_US, side="left"))
    hi = int(np.searchsorted(world.s_start_us, day_end, side="left"))
    sess = np.arange(lo, hi)
    visitor = world.s_visitor[sess]
    start_us = world.s_start_us[sess]
    kind = world.s_kind[sess]
    pages = world.s_pages[sess].astype(np.int64)
    engaged = world.s_engaged[sess].astype(bool)
    seed_s = world.s_seed[sess].astype(np.uint64)
    member = world.v_member[visitor]
    has_member = member >= 0
    signup_us = _gather(world.m_signup_us, member, NONE_US)
    paid_us = _gather(world.m_first_paid_us, member, NONE_US)

    # Page views and the user_engagement that closes each page of an engaged session.
    n_pv = int(pages.sum())
    pv_sess = np.repeat(np.arange(len(sess)), pages)
    pv_first = np.repeat(np.cumsum(pages) - pages, pages)
    pv_k = np.arange(n_pv) - pv_first
    dwell = _dwell_seconds(seed_s[pv_sess], pv_k, engaged[pv_sess])
    dwell_us = (dwell * SECOND_US).astype(np.int64)
    cum = np.cumsum(dwell_us)
    cum_before = cum - dwell_us - np.repeat(np.r_[0, cum][np.cumsum(pages) - pages], pages)
    pv_ts = start_us[pv_sess] + cum_before + pv_k * 1_000  # page loads take a moment
    page = _page_index(seed_s[pv_sess], pv_k)
    # The sign-up and checkout flows show their own pages.
    is_last_page = pv_k == pages[pv_sess] - 1
    page = np.where(is_last_page & ((kind[pv_sess] & S_SIGNUP) != 0), PAGE_SIGNUP, page)
    page = np.where(is_last_page & ((kind[pv_sess] & S_PURCHASE) != 0), PAGE_CHECKOUT, page)
    ue_mask = engaged[pv_sess]
    ue_sess = pv_sess[ue_mask]
    ue_ts = pv_ts[ue_mask] + dwell_us[ue_mask]
    ue_msec = np.maximum(dwell_us[ue_mask] // 1000 - 300, 1)
    ue_page = page[ue_mask]

    first_sess = np.flatnonzero((kind & S_FIRST) != 0)
    signup_sess = np.flatnonzero((kind & S_SIGNUP) != 0)
    purchase_sess = np.flatnonzero((kind & S_PURCHASE) != 0)
    all_sess = np.arange(len(sess))
    landing = page[np.cumsum(pages) - pages] if len(sess) else np.zeros(0, dtype=np.int64)

    ev_sess = np.concatenate([first_sess, all_sess, pv_sess, ue_sess, signup_sess, purchase_sess])
    ev_kind = np.concatenate([
        np.full(len(first_sess), EV_FIRST_VISIT), np.full(len(all_sess), EV_SESSION_START),
        np.full(n_pv, EV_PAGE_VIEW), np.full(len(ue_sess), EV_USER_ENGAGEMENT),
        np.full(len(signup_sess), EV_SIGN_UP), np.full(len(purchase_sess), EV_PURCHASE),
    ])
    ev_ts = np.concatenate([
        start_us[first_sess], start_us, pv_ts, ue_ts, signup_us[signup_sess], paid_us[purchase_sess],
    ])
    ev_page = np.concatenate([
        landing[first_sess], landing, page, ue_page,
        np.full(len(signup_sess), PAGE_SIGNUP), np.full(len(purchase_sess), PAGE_CHECKOUT),
    ])
    ev_pv_k = np.concatenate([
        np.zeros(len(first_sess) + len(all_sess), dtype=np.int64), pv_k,
        np.full(len(ue_sess) + len(signup_sess) + len(purchase_sess), -1),
    ])
    ev_msec = np.concatenate([
        np.full(len(first_sess) + len(all_sess) + n_pv, -1), ue_msec,
        np.full(len(signup_sess) + len(purchase_sess), -1),
    ])
    ev_visitor = visitor[ev_sess]
    in_day = (ev_ts >= day_start) & (ev_ts < day_end)
    order = np.lexsort((ev_kind, ev_visitor, ev_ts))
    order = order[in_day[order]]
    ev_sess, ev_kind, ev_ts, ev_page = ev_sess[order], ev_kind[order], ev_ts[order], ev_page[order]
    ev_pv_k, ev_msec, ev_visitor = ev_pv_k[order], ev_msec[order], ev_visitor[order]
    n = len(order)

    # is_active_user: the visitor was active that day (engaged, or new). Matches the
    # fallback definition used where the column is null.
    uniq_visitors, ev_vlocal = np.unique(ev_visitor, return_inverse=True)
    active_flag = (ev_kind == EV_USER_ENGAGEMENT) | (ev_kind == EV_FIRST_VISIT)
    visitor_active = np.bincount(ev_vlocal, weights=active_flag, minlength=len(uniq_visitors)) > 0
    old_export = day_index < IS_ACTIVE_USER_NULL_DAYS
    is_active = pa.array(visitor_active[ev_vlocal], mask=np.full(n, old_export), type=pa.bool_())

    strings = _Strings()
    # Per-visitor and per-member strings, formatted only for those seen today.
    pseudo_codes = strings.codes(_format_pseudo_ids(world.v_pseudo_rand[uniq_visitors],
                                                     world.v_arrival_us[uniq_visitors]))[ev_vlocal]
    ev_member = member[ev_sess]
    ev_has_uid = (ev_member >= 0)
    if ev_has_uid.any():
        ev_has_uid &= world.m_user_id[np.maximum(ev_member, 0)] != 0
        ev_has_uid &= ev_ts >= world.m_signup_us[np.maximum(ev_member, 0)]
    uid_members, uid_local = np.unique(ev_member[ev_has_uid], return_inverse=True)
    uid_codes = np.full(n, -1, dtype=np.int64)
    uid_codes[ev_has_uid] = strings.codes(_format_user_ids(world.m_user_id[uid_members]))[uid_local]

    # event_params: one block of rows per parameter, then grouped by event.
    ch = world.s_channel[sess][ev_sess].astype(np.int64)
    session_id = start_us[ev_sess] // SECOND_US
    session_number = world.s_number[sess][ev_sess].astype(np.int64)
    ev_engaged = engaged[ev_sess]
    page_loc_codes = strings.codes([SITE + p for p, _ in PAGES])
    page_title_codes = strings.codes([t for _, t in PAGES])
    referrer_codes = np.array([strings.code(c.referrer) if c.referrer else -1 for c in CHANNELS])
    ev_idx = np.arange(n)
    blocks: list[tuple[np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]] = []

    def block(rows: np.ndarray, key: str, s_codes=None, ints=None, doubles=None) -> None:
        m = len(rows)
        blocks.append((
            rows,
            strings.code(key),
            np.full(m, -1, dtype=np.int64) if s_codes is None else s_codes,
            np.full(m, np.iinfo(np.int64).min, dtype=np.int64) if ints is None else ints,
            np.full(m, np.nan) if doubles is None else doubles,
        ))

    block(ev_idx, "ga_session_id", ints=session_id)
    block(ev_idx, "ga_session_number", ints=session_number)
    if old_export:
        block(ev_idx, "session_engaged", ints=ev_engaged.astype(np.int64))
    else:
        block(ev_idx, "session_engaged", s_codes=np.where(ev_engaged, strings.code("1"), strings.code("0")))
    block(ev_idx, "page_location", s_codes=page_loc_codes[ev_page])
    block(ev_idx, "page_title", s_codes=page_title_codes[ev_page])
    pv_rows = np.flatnonzero(ev_kind == EV_PAGE_VIEW)
    # The first page's referrer is the channel's; later ones are the site itself.
    ref = np.where(ev_pv_k[pv_rows] == 0, referrer_codes[ch[pv_rows]], strings.code(SITE + "/"))
    has_ref = ref >= 0
    block(pv_rows[has_ref], "page_referrer", s_codes=ref[has_ref])
    ue_rows = np.flatnonzero(ev_kind == EV_USER_ENGAGEMENT)
    block(ue_rows, "engagement_time_msec", ints=ev_msec[ue_rows])
    su_rows = np.flatnonzero(ev_kind == EV_SIGN_UP)
    su_method = _hash_uniform(seed_s[ev_sess[su_rows]] ^ np.uint64(77)) < 0.6
    block(su_rows, "method", s_codes=np.where(su_method, strings.code("kakao"), strings.code("email")))
    pu_rows = np.flatnonzero(ev_kind == EV_PURCHASE)
    pu_member = np.maximum(ev_member[pu_rows], 0)
    pu_value = np.array([PLAN_PRICES_KRW[p] for p in world.m_plan[pu_member].tolist()], dtype=np.float64)
    block(pu_rows, "transaction_id",
          s_codes=strings.codes([f"T{MEMBER_ID_BASE + 1 + m}-1" for m in pu_member.tolist()]))
    block(pu_rows, "value", doubles=pu_value)
    block(pu_rows, "currency", s_codes=np.full(len(pu_rows), strings.code("KRW")))

    p_rows = np.concatenate([b[0] for b in blocks])
    p_key = np.concatenate([np.full(len(b[0]), b[1]) for b in blocks])
    p_str = np.concatenate([b[2] for b in blocks])
    p_int = np.concatenate([b[3] for b in blocks])
    p_dbl = np.concatenate([b[4] for b in blocks])
    p_order = np.argsort(p_rows, kind="stable")
    p_rows, p_key, p_str, p_int, p_dbl = (x[p_order] for x in (p_rows, p_key, p_str, p_int, p_dbl))
    offsets = np.r_[0, np.cumsum(np.bincount(p_rows, minlength=n))].astype(np.int32)
    int_null = p_int == np.iinfo(np.int64).min
    value = pa.StructArray.from_arrays(
        [
            strings.column(p_str),
            pa.array(np.where(int_null, 0, p_int), mask=int_null, type=pa.int64()),
            pa.nulls(len(p_rows), type=pa.float64()),
            pa.array(p_dbl, mask=np.isnan(p_dbl), type=pa.float64()),
        ],
        fields=list(PARAM_VALUE_TYPE),
    )
    params_struct = pa.StructArray.from_arrays(
        [strings.column(p_key), value], fields=list(EVENT_PARAMS_TYPE.value_type)
    )
    event_params = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), params_struct,
                                            type=EVENT_PARAMS_TYPE)

    dev = world.v_device[ev_visitor].astype(np.int64)
    dev_col = lambda i: _table_column(tuple(d[i] for d in DEVICES), dev)  # noqa: E731
    nulls = pa.nulls(n, type=pa.string())
    device = pa.StructArray.from_arrays(
        [
            dev_col(0), dev_col(5), dev_col(6), nulls, nulls, dev_col(1), dev_col(2), nulls, nulls,
            dev_col(7), _table_column(("No",), np.zeros(n, dtype=np.int64)),
            pa.nulls(n, type=pa.int64()), nulls, nulls,
            pa.StructArray.from_arrays(
                [dev_col(3), dev_col(4), _table_column((HOSTNAME,), np.zeros(n, dtype=np.int64))],
                fields=list(DEVICE_TYPE.field("web_info").type),
            ),
        ],
        fields=list(DEVICE_TYPE),
    )
    g = world.v_geo[ev_visitor].astype(np.int64)
    geo_col = lambda i: _table_column(tuple(x[i] for x in GEOS), g)  # noqa: E731
    geo = pa.StructArray.from_arrays(
        [geo_col(4), geo_col(2), geo_col(0), geo_col(3), geo_col(1),
         _table_column(("(not set)",), np.zeros(n, dtype=np.int64))],
        fields=list(GEO_TYPE),
    )
    first_ch = world.v_channel[ev_visitor].astype(np.int64)
    traffic_source = pa.StructArray.from_arrays(
        [_table_column(tuple(c.name for c in CHANNELS), first_ch),
         _table_column(tuple(c.medium for c in CHANNELS), first_ch),
         _table_column(tuple(c.source for c in CHANNELS), first_ch)],
        fields=list(TRAFFIC_SOURCE_TYPE),
    )
    collected_fields = []
    for field in COLLECTED_TRAFFIC_SOURCE_FIELDS:
        if field == "manual_campaign_name":
            col = _table_column(tuple(c.name if c.utm else None for c in CHANNELS), ch)
        elif field == "manual_source":
            col = _table_column(tuple(c.source if (c.utm or c.gclid) else None for c in CHANNELS), ch)
        elif field == "manual_medium":
            col = _table_column(tuple(c.medium if (c.utm or c.gclid) else None for c in CHANNELS), ch)
        elif field == "gclid":
            has = np.array([c.gclid for c in CHANNELS])[ch] if n else np.zeros(0, dtype=bool)
            click = (seed_s[ev_sess] % np.uint64(10**12))[has]
            gclid_codes = np.full(n, -1, dtype=np.int64)
            gclid_codes[has] = strings.codes([f"Cj0KCQiA{x:012d}" for x in click.tolist()])
            col = strings.column(gclid_codes)
        else:
            col = nulls
        collected_fields.append(col)
    has_collected = np.array([c.utm or c.gclid for c in CHANNELS])[ch] if n else np.zeros(0, dtype=bool)
    collected = pa.StructArray.from_arrays(
        collected_fields, fields=list(COLLECTED_TRAFFIC_SOURCE_TYPE), mask=pa.array(~has_collected)
    )

    is_purchase = ev_kind == EV_PURCHASE
    value_usd = np.zeros(n)
    value_usd[is_purchase] = pu_value / KRW_PER_USD
    bundle = (_hash_uniform(seed_s[ev_sess] ^ np.uint64(0xA5A5)) * 9e9).astype(np.int64) + 1_000_000_000 \
        + np.maximum(ev_pv_k, 0)
    server_offset = (_hash_uniform(seed_s[ev_sess] + ev_kind.astype(np.uint64)) * 900_000).astype(np.int64)

    table = pa.Table.from_arrays(
        [
            pa.array([day.strftime("%Y%m%d")] * n, type=pa.string()),
            pa.array(ev_ts, type=pa.int64()),
            _table_column(EVENT_NAMES, ev_kind),
            event_params,
            pa.nulls(n, type=pa.int64()),
            pa.array(value_usd, mask=~is_purchase, type=pa.float64()),
            pa.array(bundle, type=pa.int64()),
            pa.array(server_offset, type=pa.int64()),
            strings.column(uid_codes),
            strings.column(pseudo_codes),
            pa.array(world.v_arrival_us[ev_visitor], type=pa.int64()),
            device,
            geo,
            traffic_source,
            _table_column((STREAM_ID,), np.zeros(n, dtype=np.int64)),
            _table_column(("WEB",), np.zeros(n, dtype=np.int64)),
            collected,
            is_active,
        ],
        schema=GA4_SCHEMA,
    )
    # A few exact duplicate rows, as real exports have.
    rng = _rng(seed, _STREAM_DUPLICATES, day_index)
    dup = np.flatnonzero(rng.random(n) < 1 / 2000)
    if len(dup):
        table = table.take(pa.array(np.sort(np.concatenate([np.arange(n), dup]))))
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
    payers = world.m_first_paid_us != NONE_US
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
        # Put the cancellation between signup and the first payment.
        gap = first_paid[bad] - signup[bad]
        canceled[bad] = signup[bad] + gap // 3
    member_ids = [str(MEMBER_ID_BASE + 1 + i) for i in range(len(signup))]
    user_ids = np.array([format(u, "016x") if u else "" for u in world.m_user_id.tolist()], dtype=object)
    countries = np.array([g[5] for g in GEOS], dtype=object)[world.m_geo.astype(np.int64)]
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
    order = list(MEMBER_COLUMNS)
    if ordinal == 0:
        header = [KOREAN_HEADERS.get(k, k) for k in order]
        encoding, newline = "cp949", "\r\n"
    elif ordinal == 1:
        header = [KOREAN_HEADERS_ALT.get(k, k) for k in order]
        encoding, newline = "utf-8-sig", "\n"
    elif ordinal == 2:
        order = ["signup_at", "member_id", "plan", "user_id", "country", "first_paid_at",
                 "canceled_at", "plan_price_krw"]
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
