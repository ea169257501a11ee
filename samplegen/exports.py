"""The membership exports: full snapshots of the member table, ``<membership>/members_YYYYMMDD.csv``.

One snapshot as of the last day of every calendar month in the range, and one as of
the range's last day when that is not a month end. The date in the name is the
snapshot's as-of date (Asia/Seoul); the file's mtime is the last second of that day,
so the most recently modified export is also the latest one. A snapshot holds the
members who signed up on or before its as-of date, one row each, sorted by
member_id; ``first_paid_at`` / ``canceled_at`` are shown only when they happened on
or before the as-of date, and ``plan`` is ``free`` until the first payment.

Clean mode: UTF-8 without BOM, ``\\n`` line ends, header
``member_id,user_id,signup_at,plan,first_paid_at,canceled_at,plan_price_krw,country``,
datetimes ``YYYY-MM-DD HH:MM:SS`` in local time (Asia/Seoul), empty field = null.

- member_id: decimal text, 100001, 100002, ... in signup order.
- user_id: 16 lowercase hex digits, the GA4 ``user_id`` of the member; empty for
  members who signed up outside the website (about 6 %, no GA4 events at all).
- plan: free, monthly, premium or annual, the plan the member pays at the as-of date
  (samplegen.plans: payers upgrade, downgrade and switch to annual between exports);
  plan_price_krw: the price the member pays per billing period, an integer (0 for
  free; the monthly price of members who took the plan before its price rose is
  the old one).
- country: ISO 3166-1 alpha-2 code (mostly KR).
- resubscriptions (samplegen.resubscriptions): some payers who cancel (or take a
  break) pay again later, and from then the exports show the new ``first_paid_at``;
  some withdraw a cancellation, which later exports no longer show.

``--messy`` writes the same members and instants like real exports (samplegen.messy).
"""

from __future__ import annotations

import csv
import os
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from samplegen.catalog import (
    CHANNELS,
    GEOS,
    MEMBER_ID_BASE,
    OFFLINE_CHANNEL_LABEL,
)
from samplegen.clock import NONE_US, SECOND_US, local_midnight_us
from samplegen.datetime_text import FORMAT_LOCAL, format_datetimes
from samplegen.messy import blank_lines, broken_cancellations, draw_formats, layout, untidy_prices
from samplegen.plans import PLAN_FREE, PLAN_NAMES, PlanHistory, plan_histories, plans_at, price_of
from samplegen.randomness import STREAM_MESSY, stream
from samplegen.resubscriptions import Resubscriptions, resubscriptions
from samplegen.world import World

MEMBER_COLUMNS = (
    "member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at",
    "plan_price_krw", "country",
)
MESSY_COLUMNS = (*MEMBER_COLUMNS, "signup_channel")  # messy exports carry one more column


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


def write_member_snapshots(world: World, folder: Path, seed: int, messy: bool) -> list[Path]:
    """Write every snapshot of the range under `folder`; return their paths in date order."""
    folder.mkdir(parents=True, exist_ok=True)
    canceled = broken_cancellations(world) if messy else world.m_canceled_us
    text = _member_text(world)
    history = plan_histories(world)
    comebacks = resubscriptions(world, canceled)
    written = []
    as_of_dates = snapshot_dates(world.start, world.days)
    for ordinal, as_of in enumerate(as_of_dates):
        as_of_end = local_midnight_us(as_of + timedelta(days=1))
        columns, instants = _snapshot(world, text, history, canceled, comebacks, as_of_end)
        path = folder / f"members_{as_of:%Y%m%d}.csv"
        if messy:
            rng = stream(seed, STREAM_MESSY, int(as_of.strftime("%Y%m%d")))
            # Only month-end exports lag a payment: whether an export is the range's
            # last depends on the range's length, which must not change a file.
            _write_messy(path, columns, instants, ordinal, rng, as_of_end,
                         is_month_end=(as_of + timedelta(days=1)).day == 1)
        else:
            _write_clean(path, columns, instants)
        end_of_day = as_of_end // SECOND_US - 1
        os.utime(path, (end_of_day, end_of_day))
        written.append(path)
    return written


def _member_text(world: World) -> dict[str, np.ndarray]:
    """The columns that never change between snapshots, as text, one entry per member."""
    return {
        "member_id": np.array([str(MEMBER_ID_BASE + 1 + i) for i in range(len(world.m_signup_us))], dtype=object),
        "user_id": np.array([format(u, "016x") if u else "" for u in world.m_user_id.tolist()], dtype=object),
        "country": np.array([code for _, code, _ in GEOS], dtype=object)[world.m_geo.astype(np.int64)],
        "signup_channel": np.array([c.label_ko for c in CHANNELS] + [OFFLINE_CHANNEL_LABEL],
                                   dtype=object)[world.m_channel.astype(np.int64)],
    }


def _snapshot(world: World, text: dict[str, np.ndarray], history: PlanHistory, canceled: np.ndarray,
              comebacks: Resubscriptions, as_of_end: int) -> tuple[dict[str, list[str]], dict[str, np.ndarray]]:
    """The text columns and the datetime instants of the members known before `as_of_end`."""
    rows_idx = np.flatnonzero(world.m_signup_us < as_of_end)
    is_back = comebacks.again_us[rows_idx] < as_of_end
    paid_now = world.m_first_paid_us[rows_idx] < as_of_end
    plan, price = plans_at(history, rows_idx, as_of_end)
    # A member who comes back takes the plan they left, at its list price of that day.
    price = np.where(is_back, price_of(plan, comebacks.again_us[rows_idx]), price)
    plan = np.where(paid_now, plan, PLAN_FREE)
    price = np.where(paid_now, price, 0)
    columns = {name: values[rows_idx].tolist() for name, values in text.items()}
    columns["plan"] = [PLAN_NAMES[p] for p in plan.tolist()]
    columns["plan_price_krw"] = [str(p) for p in price.tolist()]
    instants = {
        "signup_at": world.m_signup_us[rows_idx],
        "first_paid_at": np.where(
            is_back, comebacks.again_us[rows_idx],
            np.where(paid_now, world.m_first_paid_us[rows_idx], NONE_US)),
        "canceled_at": _shown_cancellations(canceled[rows_idx], comebacks, rows_idx, as_of_end),
    }
    return columns, instants


def _shown_cancellations(canceled: np.ndarray, comebacks: Resubscriptions, rows_idx: np.ndarray,
                         as_of_end: int) -> np.ndarray:
    """canceled_at as an export of `as_of_end` shows it: a break's cancellation until the
    comeback, after a comeback only a later cancellation, none once withdrawn."""
    again = comebacks.again_us[rows_idx]
    breaking = comebacks.break_canceled_us[rows_idx]
    shown = np.where(breaking < as_of_end, breaking, canceled)
    shown = np.where(again < as_of_end, np.where(canceled >= again, canceled, NONE_US), shown)
    shown = np.where(comebacks.withdrawn_us[rows_idx] < as_of_end, NONE_US, shown)
    return np.where(shown < as_of_end, shown, NONE_US)


def _write_clean(path: Path, columns: dict[str, list[str]], instants: dict[str, np.ndarray]) -> None:
    for name, values in instants.items():
        columns[name] = format_datetimes(values, np.full(len(values), FORMAT_LOCAL))
    write_csv(path, list(MEMBER_COLUMNS), [columns[k] for k in MEMBER_COLUMNS],
              encoding="utf-8", newline="\n", blank_after=set())


def _write_messy(path: Path, columns: dict[str, list[str]], instants: dict[str, np.ndarray], ordinal: int,
                 rng: np.random.Generator, as_of_end: int, is_month_end: bool) -> None:
    # The draws come in a fixed order (formats column by column, the blank lines, then
    # the prices), so a snapshot's text depends only on its own stream.
    first_paid = instants["first_paid_at"]
    for name, values in instants.items():
        columns[name] = format_datetimes(values, draw_formats(rng, len(values)))
    blank_after = blank_lines(rng, len(columns["member_id"]))
    columns["plan"], columns["plan_price_krw"] = untidy_prices(
        rng, columns["plan"], columns["plan_price_krw"], first_paid, as_of_end, is_month_end)
    shape = layout(ordinal, MESSY_COLUMNS)
    write_csv(path, shape.header, [columns[k] for k in shape.columns], encoding=shape.encoding,
              newline=shape.newline, blank_after=blank_after)


def write_csv(path: Path, header: list[str], columns: list[list[str]], encoding: str,
              newline: str, blank_after: set[int]) -> None:
    """Write a header and column-wise records, with a blank line after each record in `blank_after`."""
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator=newline)
        writer.writerow(header)
        for i, row in enumerate(zip(*columns)):
            writer.writerow(row)
            if i in blank_after:
                f.write(newline)
