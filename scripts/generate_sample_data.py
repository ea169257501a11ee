"""Generate deterministic sample data: membership CSV exports and a GA4 BigQuery export.

    python scripts/generate_sample_data.py --out sample_data \
        [--members N] [--days D] [--start YYYY-MM-DD] [--seed S] [--messy]

The generator is the samplegen package (``python -m samplegen`` takes the same
arguments); this file keeps the documented command line and the names callers import.
It imports the project as installed in the .venv (`make` installs it, `pip install -e .`).
"""

import sys

from samplegen import (
    DEFAULT_DAYS,
    DEFAULT_MEMBERS_PER_YEAR,
    DEFAULT_SEED,
    DEFAULT_START,
    GA4_SCHEMA,
    MEMBER_COLUMNS,
    World,
    build_ga4_day,
    generate,
    simulate,
    snapshot_dates,
    write_ga4_days,
    write_member_snapshots,
)
from samplegen.cli import main  # noqa: E402

__all__ = [
    "DEFAULT_DAYS", "DEFAULT_MEMBERS_PER_YEAR", "DEFAULT_SEED", "DEFAULT_START", "GA4_SCHEMA",
    "MEMBER_COLUMNS", "World", "build_ga4_day", "generate", "main", "simulate", "snapshot_dates",
    "write_ga4_days", "write_member_snapshots",
]

if __name__ == "__main__":
    sys.exit(main())
