"""One data set in one folder: clear the old files, simulate, write exports and shards."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from samplegen.export_gaps import export_gaps
from samplegen.exports import write_member_snapshots
from samplegen.ga4 import day_vintage, write_ga4_days
from samplegen.world import simulate

DEFAULT_MEMBERS_PER_YEAR = 7300
DEFAULT_DAYS = 120
DEFAULT_START = date(2025, 1, 1)
DEFAULT_SEED = 42


def generate(out_dir: Path, members: int = DEFAULT_MEMBERS_PER_YEAR, days: int = DEFAULT_DAYS,
             start: date = DEFAULT_START, seed: int = DEFAULT_SEED, messy: bool = False,
             ga4_schema: str = "mixed", drop_ga4_days: Iterable[date] = (),
             half_ga4_days: Iterable[date] = ()) -> dict:
    """Write the membership exports and GA4 files under out_dir; return a summary.

    `members` is the expected number of signups per 365 days of traffic (see the
    package docstring); `ga4_schema` the GA4 export vintage of the shards ("mixed", the
    default, spans 2020, 2023 and 2024 shapes; see samplegen.ga4). `drop_ga4_days` get
    no GA4 shard and `half_ga4_days` half of theirs; --messy adds one of each
    (samplegen.export_gaps). The summary: out_dir, membership_files, ga4_files (paths),
    members (members in the last export), events (GA4 rows written), seconds.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}.")
    if members < 0:
        raise ValueError(f"members must be zero or more, got {members}.")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    membership_dir = out_dir / "membership"
    ga4_dir = out_dir / "ga4"
    _clear(membership_dir, "members_*.csv")
    _clear(ga4_dir, "events_*.parquet")

    day_vintage(0, ga4_schema)  # refuse an unknown vintage before writing anything
    gaps = export_gaps(start, days, messy, drop_ga4_days, half_ga4_days)
    world = simulate(seed, start, days, float(members))
    csv_files = write_member_snapshots(world, membership_dir, seed, messy)
    ga4_files, events = write_ga4_days(world, ga4_dir, seed, messy, ga4_schema, gaps)
    return {
        "out_dir": str(out_dir),
        "membership_files": [str(p) for p in csv_files],
        "ga4_files": [str(p) for p in ga4_files],
        "members": int(len(world.m_signup_us)),
        "events": events,
        "seconds": round(time.perf_counter() - began, 2),
    }


def _clear(folder: Path, pattern: str) -> None:
    """Create `folder`, or empty it of earlier generated files, so it holds one data set."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(pattern):
        old.unlink()
