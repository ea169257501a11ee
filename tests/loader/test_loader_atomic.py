"""Atomicity: a loader process killed in the middle of writing an object leaves raw as it was.

The failure is real: `python -m loader` runs in a child process and gets SIGKILL while
DuckDB is reading the object's rows into raw.membership, inside the object's
transaction. "Inside" is observed from outside the process, through the bytes it has
read since it announced the write: more than one CSV buffer, less than the whole file.
"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import psutil

ROWS = 250_000
HEADER = ["member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at", "country"]


def _write_export(path: Path, rows: int, plan: str) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(HEADER)
        out.writerows(
            (str(100_000 + i), f"user-{i:08d}", "2025-03-19 11:13:18", plan, "2025-03-20 09:00:00", "", "KR")
            for i in range(rows)
        )


def test_killed_mid_insert_leaves_raw_unchanged_and_next_run_loads_fully(
    tmp_path: Path, subprocess_env: dict[str, str], raw_tables: Any
) -> None:
    export = tmp_path / "members.csv"
    _write_export(export, 3, "free")
    command = [sys.executable, "-m", "loader", str(export)]
    first = subprocess.run(command, env=subprocess_env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    before = raw_tables()
    assert [r["plan"] for r in before["membership"]] == ["free"] * 3

    _write_export(export, ROWS, "monthly")  # a new version of the same object
    size = export.stat().st_size
    env = {**subprocess_env, "LOADER_PROGRESS_BYTES": "0"}  # announce every phase
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        process = psutil.Process(child.pid)
        assert child.stderr is not None
        for line in child.stderr:
            if "writing" in line and "rows to duckdb" in line:
                break
        else:
            raise AssertionError(f"the loader never announced the write; it exited with {child.wait()}")
        read_at_start = process.io_counters().read_chars
        deadline = time.monotonic() + 300  # a ceiling: the loop ends when the reading starts
        # DuckDB reads the prepared rows file in 8 MiB buffers: once it has read more than
        # the catalog it is inside the INSERT, and it cannot commit before it has read the
        # whole file.
        while process.io_counters().read_chars - read_at_start < 2**20:
            assert child.poll() is None, "the loader finished before it could be killed: make the export larger"
            assert time.monotonic() < deadline, "the loader did not start reading the rows"
            time.sleep(0.002)
        read_so_far = process.io_counters().read_chars - read_at_start
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=120)  # a ceiling: SIGKILL ends it at once
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert read_so_far < size, "killed after the whole file was read: the test proves nothing"
    print(f"killed after reading {read_so_far} of {size} bytes")

    assert raw_tables() == before

    rerun = subprocess.run(command, env=subprocess_env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"rows loaded {ROWS}," in rerun.stdout
    with duckdb.connect(subprocess_env["DUCKDB_PATH"], read_only=True) as con:
        plans = con.execute("select plan, count(*), count(distinct member_id) from raw.membership group by 1").fetchall()
        manifest = con.execute("select rows_loaded from raw.load_manifest").fetchall()
    assert plans == [("monthly", ROWS, ROWS)]
    assert manifest == [(ROWS,)]
