"""The history section's longer history ends where the base data ends.

`benchmarks/pipeline_bench.py` times "+1 day" on k times the history against "+1 day"
on the base data. Both must add the same calendar day, and the longer history must
not run past the membership exports' as-of dates (today), or its marts hold
membership figures that no real export can: so it starts earlier, not later.
Checked on the function that picks its first day and on data the generator writes
from it (tiny sizes; no timing).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from pipeline_bench import longer_history_start  # noqa: E402


@pytest.mark.parametrize(
    ("start", "days", "long_days", "expected"),
    [
        # The scale of record: 365 days from 2025-01-01, three times the history.
        ("2025-01-01", 365, 1095, "2023-01-02"),
        ("2025-01-01", 120, 360, "2024-05-06"),
        ("2025-01-01", 14, 14, "2025-01-01"),
    ],
)
def test_the_longer_history_ends_on_the_base_datas_last_day(
    start: str, days: int, long_days: int, expected: str
) -> None:
    first = dt.date.fromisoformat(longer_history_start(start, days, long_days))
    assert first.isoformat() == expected
    last = first + dt.timedelta(days=long_days - 1)
    assert last == dt.date.fromisoformat(start) + dt.timedelta(days=days - 1)


def test_a_shorter_history_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than the base"):
        longer_history_start("2025-01-01", 30, 10)


def _generate(out: Path, days: int, start: str) -> tuple[list[str], list[str]]:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate_sample_data.py"), "--out", str(out),
         "--members", "365", "--days", str(days), "--start", start, "--seed", "7"],
        cwd=REPO, check=True, capture_output=True, text=True, timeout=600,
    )
    return (sorted(p.name for p in (out / "ga4").glob("*.parquet")),
            sorted(p.name for p in (out / "membership").glob("*.csv")))


def test_both_histories_add_the_same_day(tmp_path: Path) -> None:
    start, days, factor = "2025-01-01", 40, 3
    long_start = longer_history_start(start, days, days * factor)
    shards, exports = {}, {}
    for name, (length, first) in {
        "base": (days, start), "base_plus_one": (days + 1, start),
        "long": (days * factor, long_start), "long_plus_one": (days * factor + 1, long_start),
    }.items():
        shards[name], exports[name] = _generate(tmp_path / name, length, first)
    assert len(shards["long"]) == days * factor
    # Same newest shard, and the day each "+1 day" run adds is the same day.
    assert shards["long"][-1] == shards["base"][-1]
    added_base = sorted(set(shards["base_plus_one"]) - set(shards["base"]))
    added_long = sorted(set(shards["long_plus_one"]) - set(shards["long"]))
    assert added_base == added_long and len(added_base) == 1
    assert exports["long"][-1] == exports["base"][-1]
