"""base_ga4__events checkpoints after deleting its duplicates, on DuckDB.

DuckDB keeps the version information of deleted rows in memory it cannot spill
until the next checkpoint. The model's dedupe post-hook deletes a few duplicates
spread over every day it wrote, so after a full refresh of years of events that
memory filled most of the default cap, and the next query (the key's uniqueness
test) ran out of memory (benchmarks/README.md). Here: the mechanism, at a size
that takes seconds, under a small cap; and the model's post-hooks as dbt runs them.
No timing assertion.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
GROUP_KEYS = "select count(*) from (select k, count(*) from t group by k having count(*) > 1)"


def test_deleted_rows_pin_memory_until_a_checkpoint(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"), config={"preserve_insertion_order": False})
    con.execute("begin")
    con.execute("create table t as select i, hex(hash(i)) as k from range(20000000) as r(i)")
    con.execute("commit")
    con.execute("set memory_limit = '200MB'")
    # The cap itself is enough for the aggregate, which spills...
    assert con.execute(GROUP_KEYS).fetchone() == (0,)
    # ...until one row in 2,000, spread over the table, is deleted,
    con.execute("delete from t where rowid in (select rowid from t where hash(i) % 2000 = 0)")
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute(GROUP_KEYS).fetchone()
    # and a checkpoint frees what the deletion held.
    con.execute("force checkpoint")
    assert con.execute(GROUP_KEYS).fetchone() == (0,)
    con.close()


def test_the_model_checkpoints_after_a_full_refresh_and_not_after_a_daily_run(tmp_path: Path) -> None:
    """A full refresh of 14 days checkpoints after its dedupe delete; the daily run
    after it, which adds the 15th day and rewrites its lookback window
    (ga4_lookback_days 3, so 5 days in all), does not wait for a checkpoint."""
    data = tmp_path / "data"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate_sample_data.py"), "--out", str(data),
         "--members", "3650", "--days", "15", "--seed", "7"],
        cwd=REPO, check=True, capture_output=True, timeout=300,
    )
    shards = sorted((data / "ga4").glob("events_*.parquet"))
    assert len(shards) == 15
    ga4 = tmp_path / "ga4"
    ga4.mkdir()
    for shard in shards[:14]:
        (ga4 / shard.name).symlink_to(shard)
    env = {**os.environ, "DBT_TARGET": "duckdb", "DUCKDB_PATH": str(tmp_path / "w.duckdb"),
           "GA4_LOCAL_PATH": str(ga4), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def hooks_after_the_delete(label: str, *flags: str) -> str:
        logs = tmp_path / label
        built = subprocess.run(
            [str(DBT), "run", *flags, "--select", "base_ga4__events", "--profiles-dir", str(DBT_DIR),
             "--target-path", str(tmp_path / "target"), "--log-path", str(logs)],
            cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False,
        )
        assert built.returncode == 0, built.stdout[-3000:]
        log = (logs / "dbt.log").read_text()
        # The dedupe post-hook's delete (an incremental run also deletes its window first).
        assert "where rowid in" in log, "no dedupe delete"
        return log[log.index("where rowid in"):]

    assert "force checkpoint" in hooks_after_the_delete("full_refresh", "--full-refresh")
    (ga4 / shards[14].name).symlink_to(shards[14])
    daily = hooks_after_the_delete("daily")
    assert "count(distinct event_date)" in daily and "force checkpoint" not in daily
