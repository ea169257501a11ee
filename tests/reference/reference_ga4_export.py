"""Independent reference for the GA4 export's health (docs/specification.md,
"Export health"): fct_ga4__export_days and the active users' export flags.

Read from the generated files alone, not from the SQL:

1. The days are every calendar day from the first daily table (a file
   `events_YYYYMMDD.parquet`) to the latest; a day has a table when its file exists.
2. A day's events are the table's rows, exact duplicates (equal in every column)
   once; its users the distinct non-null `user_pseudo_id`. No table: both unknown.
3. The trailing median is the median of the event counts of the days with a table
   among the 28 days before; unknown when fewer than `baseline_min_days` of them.
   The ratio is the day's events over it.
4. A day is missing without a table, short when its events are below
   `short_day_percent` percent of the median, at the cap when its events reach
   `daily_event_cap`; incomplete when any of the three.
5. DAU is flagged when its day is incomplete, WAU when one of the 7 days ending on
   it is, MAU when one of the 28 is.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tests.reference.shards import distinct_shard_rows

_SHARD = re.compile(r"^events_(\d{8})\.parquet$")
EXPORT_DAY_COLUMNS = [
    "export_date", "has_daily_table", "event_count", "user_count", "baseline_days",
    "trailing_median_event_count", "event_ratio_to_trailing_median", "is_missing_day", "is_short_day",
    "is_at_daily_cap", "is_incomplete_day",
]


@dataclass(frozen=True)
class Thresholds:
    """The vars' defaults, as the specification gives them."""

    short_day_percent: int = 50
    baseline_min_days: int = 7
    daily_event_cap: int = 1_000_000


def _daily_tables(ga4_dir: Path) -> dict[dt.date, Path]:
    tables = {}
    for path in Path(ga4_dir).iterdir():
        match = _SHARD.match(path.name)
        if match:
            tables[dt.datetime.strptime(match.group(1), "%Y%m%d").date()] = path
    return tables


def _counts(path: Path) -> tuple[int, int]:
    rows = distinct_shard_rows(path)
    users = {row["user_pseudo_id"] for row in rows if row["user_pseudo_id"] is not None}
    return len(rows), len(users)


def export_days(ga4_dir: Path, thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """fct_ga4__export_days, the columns the spec defines for both targets."""
    tables = _daily_tables(ga4_dir)
    counts = {day: _counts(path) for day, path in tables.items()}
    rows = []
    day, last = min(tables), max(tables)
    while day <= last:
        earlier = [counts[day - dt.timedelta(days=n)][0] for n in range(1, 29)
                   if day - dt.timedelta(days=n) in counts]
        median = float(statistics.median(earlier)) if len(earlier) >= thresholds.baseline_min_days else None
        events, users = counts.get(day, (None, None))
        missing = day not in counts
        short = not missing and median is not None and events < median * thresholds.short_day_percent / 100
        capped = not missing and events >= thresholds.daily_event_cap
        rows.append({
            "export_date": day,
            "has_daily_table": not missing,
            "event_count": events,
            "user_count": users,
            "baseline_days": len(earlier),
            "trailing_median_event_count": median,
            "event_ratio_to_trailing_median": None if missing or not median else events / median,
            "is_missing_day": missing,
            "is_short_day": short,
            "is_at_daily_cap": capped,
            "is_incomplete_day": missing or short or capped,
        })
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows, columns=EXPORT_DAY_COLUMNS)


def with_export_flags(active_users: pd.DataFrame, ga4_dir: Path,
                      thresholds: Thresholds = Thresholds()) -> pd.DataFrame:
    """fct_ga4__active_users_daily's rows with the three export flags added."""
    days = export_days(ga4_dir, thresholds)
    incomplete = set(days.loc[days["is_incomplete_day"], "export_date"])

    def any_incomplete(day: dt.date, length: int) -> bool:
        return any(day - dt.timedelta(days=n) in incomplete for n in range(length))

    flagged = active_users.copy()
    flagged["is_dau_export_incomplete"] = [any_incomplete(d, 1) for d in flagged["event_date"]]
    flagged["is_wau_7d_export_incomplete"] = [any_incomplete(d, 7) for d in flagged["event_date"]]
    flagged["is_mau_28d_export_incomplete"] = [any_incomplete(d, 28) for d in flagged["event_date"]]
    return flagged
