"""Deterministic sample data: membership CSV exports and a GA4 BigQuery export.

Command line: ``python -m samplegen --out sample_data [--members N] [--days D]
[--start YYYY-MM-DD] [--seed S] [--messy]`` (``scripts/generate_sample_data.py`` takes
the same arguments); from Python, ``generate(out_dir, members, days, start, seed,
messy)``.

What it writes is the contract with the loader, dbt and the tests (docs/architecture.md,
"Sample data"): ``<out>/membership/members_YYYYMMDD.csv`` (samplegen.exports, and
samplegen.messy for ``--messy``) and ``<out>/ga4/events_YYYYMMDD.parquet``
(samplegen.ga4). Existing ``members_*.csv`` / ``events_*.parquet`` files in the two
folders are removed first, so a folder always holds exactly one generated data set.
GA4 export failures on chosen days (``--drop-ga4-day``, ``--half-export-ga4-day``;
``--messy`` has one of each) are samplegen.export_gaps.

Sizes: ``members`` is the expected number of members signing up in 365 days of
traffic (the site's size), not a total for the range: a day's data never depends on
how many days are generated, so ``days=D`` and ``days=D+k`` (same seed, start and
members) give identical GA4 files for the first D days and identical monthly
snapshots. The default (7300 a year, 120 days) gives about 2,200 members and 370,000
events; ``--members 100000 --days 365`` about 100,000 members and
well over 10 million events, generated day by day in bounded memory.

Determinism: every random draw comes from a numpy stream keyed by (seed, purpose,
day) (samplegen.randomness): the visitors arriving on a day, and the whole future of
each of them (sessions, signup, payment, cancellation), come from that day's stream
(samplegen.arrivals), then get cut at the end of the range (samplegen.world). The GA4
events of a day are worked out from the sessions when that day is written
(samplegen.events).
"""

from samplegen.dataset import DEFAULT_DAYS, DEFAULT_MEMBERS_PER_YEAR, DEFAULT_SEED, DEFAULT_START, generate
from samplegen.exports import MEMBER_COLUMNS, snapshot_dates, write_member_snapshots
from samplegen.ga4 import build_ga4_day, write_ga4_days
from samplegen.ga4_schema import GA4_SCHEMA
from samplegen.world import World, simulate

__all__ = [
    "DEFAULT_DAYS", "DEFAULT_MEMBERS_PER_YEAR", "DEFAULT_SEED", "DEFAULT_START", "GA4_SCHEMA",
    "MEMBER_COLUMNS", "World", "build_ga4_day", "generate", "simulate", "snapshot_dates",
    "write_ga4_days", "write_member_snapshots",
]
