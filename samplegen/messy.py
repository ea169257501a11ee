"""The --messy distortions: the same members and instants, written like real exports.

- datetimes in mixed formats (samplegen.datetime_text), drawn per value;
- blank lines: three at random places and one at the end, as Excel leaves;
- per snapshot, counted from the first: #1 CP949 with CRLF line ends and Korean
  headers (회원ID, 사용자ID, 가입일시, 요금제, 첫결제일시, 해지일시), #2 UTF-8 with a BOM and
  the other Korean aliases (회원번호, 사용자ID, 가입일, 플랜, 첫결제일, 해지일), #3 the
  canonical headers in upper case and another column order, later ones canonical;
- an extra ``signup_channel`` column with Korean values (네이버 검색, 인스타그램,
  오프라인 매장, ...), so the encodings matter for values too;
- invalid lifecycles: about 1 in 300 payers, and the first three who pay within ten
  days of signing up, get canceled_at on a local date after signup_at's (or the same)
  and before first_paid_at's. Members who pay on their signup date are never chosen;
  until the payment shows in an export, such a member looks like a free member who
  canceled.
- prices: about 1 paid row in 12 has an empty plan_price (the plan's list price
  applies), and about 1 in 3 is written with a thousands separator (``10,900``);
- a month-end export lags payments: members whose first payment falls on the
  export's last day still show the free plan (price 0) there; the next export
  shows their plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from samplegen.clock import DAY_US, NONE_US, SOURCE_TZ_OFFSET_US, local_day
from samplegen.world import World

KOREAN_HEADERS = {
    "member_id": "회원ID", "user_id": "사용자ID", "signup_at": "가입일시", "plan": "요금제",
    "first_paid_at": "첫결제일시", "canceled_at": "해지일시",
}
KOREAN_HEADERS_ALT = {
    "member_id": "회원번호", "user_id": "사용자ID", "signup_at": "가입일", "plan": "플랜",
    "first_paid_at": "첫결제일", "canceled_at": "해지일",
}
# Weights of the datetime formats, in the order of samplegen.datetime_text's FORMAT_*.
MESSY_FORMAT_P = np.array([0.45, 0.15, 0.07, 0.13, 0.10, 0.10])
REORDERED_COLUMNS = ("signup_at", "member_id", "plan", "signup_channel", "user_id", "country",
                     "first_paid_at", "canceled_at", "plan_price_krw")


@dataclass(frozen=True)
class Layout:
    """How one messy export is laid out: its columns, their header text, the bytes."""

    columns: list[str]
    header: list[str]
    encoding: str
    newline: str


def invalid_members(world: World) -> np.ndarray:
    """Members whose --messy export gets canceled_at before first_paid_at."""
    # Both rules depend only on each member's own draws and signup order, never on the
    # range's length, so a longer range breaks the same members. first_paid_us holds
    # the payment even when it falls after the range.
    # Only a payment on a later local date than the signup leaves room for a
    # cancellation on a date between the two: the lifecycle rule compares local dates
    # (docs/specification.md, "Member lifecycle").
    payers = (world.m_first_paid_us != NONE_US) & (
        local_day(world.m_first_paid_us) > local_day(world.m_signup_us))
    by_rate = payers & (world.m_invalid_draw < 1 / 300)
    # The first three members (in signup order) who pay within ten days, so that even a
    # short range shows some.
    quick = np.flatnonzero(payers & (world.m_first_paid_us - world.m_signup_us <= 10 * DAY_US))[:3]
    by_rate[quick] = True
    return np.flatnonzero(by_rate)


def broken_cancellations(world: World) -> np.ndarray:
    """canceled_at of every member, with the invalid members' moved before their payment."""
    signup = world.m_signup_us
    first_paid = world.m_first_paid_us
    canceled = world.m_canceled_us.copy()
    bad = invalid_members(world)
    # The cancellation halfway between signup and the start of the payment's day.
    paid_day_start = local_day(first_paid[bad]) * DAY_US - SOURCE_TZ_OFFSET_US
    canceled[bad] = signup[bad] + (paid_day_start - signup[bad]) // 2
    return canceled


def draw_formats(rng: np.random.Generator, n: int) -> np.ndarray:
    """A datetime format (FORMAT_*) for each of n values."""
    return rng.choice(len(MESSY_FORMAT_P), size=n, p=MESSY_FORMAT_P)


def blank_lines(rng: np.random.Generator, n: int) -> set[int]:
    """The records (0-based) after which a blank line follows, the last one included."""
    blank_after = set(rng.choice(n, size=min(n, 3), replace=False).tolist()) if n else set()
    blank_after.add(n - 1)  # a trailing empty line, as Excel leaves
    return blank_after


def layout(ordinal: int, columns: Sequence[str]) -> Layout:
    """The layout of the snapshot at `ordinal` (0 = the first), `columns` in canonical order."""
    columns = list(columns)
    if ordinal == 0:
        return Layout(columns, [KOREAN_HEADERS.get(k, k) for k in columns], "cp949", "\r\n")
    if ordinal == 1:
        return Layout(columns, [KOREAN_HEADERS_ALT.get(k, k) for k in columns], "utf-8-sig", "\n")
    if ordinal == 2:
        return Layout(list(REORDERED_COLUMNS), [k.upper() for k in REORDERED_COLUMNS], "utf-8", "\n")
    return Layout(columns, columns, "utf-8", "\n")


EMPTY_PRICE_SHARE = 1 / 12
SEPARATOR_SHARE = 1 / 3


def untidy_prices(rng: np.random.Generator, plans: list[str], prices: list[str], first_paid_us: np.ndarray,
                  as_of_end: int, is_month_end: bool) -> tuple[list[str], list[str]]:
    """The plan and plan_price texts of one messy export: empty or separated prices,
    and on a month end the plan of the day's new payers still free."""
    n = len(prices)
    empty = rng.random(n) < EMPTY_PRICE_SHARE
    separated = rng.random(n) < SEPARATOR_SHARE
    lagging = (first_paid_us >= as_of_end - DAY_US) & (first_paid_us < as_of_end) & is_month_end
    out_plans, out_prices = [], []
    for i, (plan, price) in enumerate(zip(plans, prices)):
        if lagging[i]:
            out_plans.append("free")
            out_prices.append("0")
            continue
        out_plans.append(plan)
        if price == "0":
            out_prices.append(price)
        elif empty[i]:
            out_prices.append("")
        else:
            out_prices.append(f"{int(price):,}" if separated[i] else price)
    return out_plans, out_prices
