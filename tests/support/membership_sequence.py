"""The membership models built export by export equal a full rebuild: the sequence.

Shared by the DuckDB (tests/dbt/) and BigQuery (tests/bigquery/) tests of the
incremental membership models. A target-specific `Pipeline` runs
`python orchestrate.py` (load, then an incremental dbt build), forgets an object with
`python -m loader forget`, builds the same raw data from scratch elsewhere and reads
a table of either build. `run_sequence` then walks the exports through the events
the incremental models must handle, comparing after each run every membership mart,
and the per-export table itself, with the full rebuild:

1. the first exports (the incremental tables are created);
2. a new export;
3. the newest export loaded again because its file changed (rows changed, one
   removed): the members whose latest row came from its earlier load are read
   again across every export, and a member only it held is gone;
4. the newest export forgotten (its file removed, then `loader forget`): every
   member falls back to their row of the export before.

Each incremental run must also have read only the exports that run had to: the
compiled stg_membership__member_snapshots of the run names exactly those objects,
and on the run with a new export the compiled stg_membership__members names only it
and does not read the members' whole history.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import samplegen
from tests.support.pipeline_runs import Workspace, explain

MEMBERS_PER_YEAR = 2400
DAYS = 100  # four monthly exports: 2025-01-31, 02-28, 03-31 and the range's last day
START = dt.date(2025, 1, 1)
SEED = 11
# Every membership mart (GA4 is off: the workspaces have no GA4 shard), and the
# per-export model the incremental runs maintain.
TABLES = (
    "stg_membership__member_snapshots",
    "stg_membership__members",
    "dim_members",
    "fct_kpis_weekly",
    "fct_kpis_monthly",
    "fct_retention_cohorts_monthly",
    "fct_mrr_monthly",
    "fct_member_mrr_monthly",
    "fct_mrr_by_plan_monthly",
    "fct_revenue_cohorts_monthly",
)
STAGING_SQL = Path("compiled", "membership_analytics", "models", "staging")
SNAPSHOTS_SQL = STAGING_SQL / "stg_membership__member_snapshots.sql"
MEMBERS_SQL = STAGING_SQL / "stg_membership__members.sql"
Rows = list[tuple[Any, ...]]


class Pipeline(Protocol):
    workspace: Workspace

    def orchestrate(self, *args: str) -> subprocess.CompletedProcess[str]: ...

    def forget(self, uri: str) -> subprocess.CompletedProcess[str]: ...

    def full_rebuild(self, tables: tuple[str, ...]) -> dict[str, Rows]:
        """Every table of `tables` built with --full-refresh from the same raw data."""
        ...

    def tables(self, tables: tuple[str, ...]) -> dict[str, Rows]:
        """Every table of `tables` as the incremental runs left it."""
        ...


def generate_exports(out: Path) -> list[Path]:
    """The generated membership exports, oldest first."""
    # The exports only: the GA4 shards would take most of the time and are not read.
    world = samplegen.simulate(SEED, START, DAYS, float(MEMBERS_PER_YEAR))
    exports = samplegen.write_member_snapshots(world, out, SEED, messy=False)
    assert len(exports) == 4, f"expected 4 monthly exports, got {[p.name for p in exports]}"
    return exports


def plain(value: Any) -> Any:
    """A cell as a value both warehouses' clients give alike."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def sorted_rows(rows: list[dict[str, Any]]) -> Rows:
    """Rows as tuples in column-name order (the run's _invocation_id left out), sorted."""
    tuples = [tuple(plain(row[c]) for c in sorted(row) if c != "_invocation_id") for row in rows]
    return sorted(tuples, key=repr)


def change_export(path: Path) -> None:
    """Rewrite an export in place: one member dropped, one member's plan and price changed,
    one paying member canceled on the file's date. Its ETag changes, so the loader reloads it."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) > 20, f"{path.name} has too few members ({len(rows)}) to change"
    fields = list(rows[0])
    payers = [r for r in rows if r["first_paid_at"] and not r["canceled_at"]]
    assert len(payers) >= 2, f"{path.name} has too few paying members to change"
    payers[0]["plan"], payers[0]["plan_price_krw"] = "premium", "23900"
    payers[1]["canceled_at"] = f"{path.stem[-8:-4]}-{path.stem[-4:-2]}-{path.stem[-2:]} 12:00:00"
    kept = [r for r in rows if r is not rows[-1]]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    modified = path.stat().st_mtime
    path.write_text(out.getvalue(), encoding="utf-8")
    # A corrected export of the same day: the content (so the ETag) changes, not its date.
    os.utime(path, (modified, modified))


def _compiled(pipeline: Pipeline, model: Path) -> str:
    return (pipeline.workspace.root / "dbt_target" / model).read_text(encoding="utf-8")


def _built_exports(pipeline: Pipeline, model: Path = SNAPSHOTS_SQL) -> list[str]:
    """The objects the last run's `model` read, by file name (none named: it read every
    object, a full build, or none)."""
    return sorted(set(re.findall(r"members_\d{8}\.csv", _compiled(pipeline, model))))


def _assert_equal_to_full_rebuild(pipeline: Pipeline, step: str) -> None:
    got, want = pipeline.tables(TABLES), pipeline.full_rebuild(TABLES)
    problems = []
    for table in TABLES:
        if not want[table]:
            problems.append(f"{table}: the full rebuild is empty: the test data is too small")
            continue
        only_incremental = sorted(set(got[table]) - set(want[table]), key=repr)
        only_full = sorted(set(want[table]) - set(got[table]), key=repr)
        if only_incremental or only_full or len(got[table]) != len(want[table]):
            problems.append(
                f"{table}: {len(got[table])} rows incremental, {len(want[table])} from scratch; "
                f"only incremental {only_incremental[:3]}, only from scratch {only_full[:3]}"
            )
    assert not problems, f"after {step}, the incremental build differs from a full rebuild:\n" + "\n".join(problems)


def _run(pipeline: Pipeline, step: str) -> None:
    result = pipeline.orchestrate()
    assert result.returncode == 0, f"{step}: {explain(result)}"


def run_sequence(pipeline: Pipeline, exports: list[Path]) -> None:
    """The four steps of the module docstring, each compared with a full rebuild."""
    source = pipeline.workspace.membership_dir
    source.mkdir(parents=True, exist_ok=True)
    *earlier, fourth = exports
    for path in earlier:
        shutil.copy2(path, source / path.name)

    _run(pipeline, "the first run")
    _assert_equal_to_full_rebuild(pipeline, "the first run (three exports)")

    shutil.copy2(fourth, source / fourth.name)
    _run(pipeline, "the run with a new export")
    assert _built_exports(pipeline) == [fourth.name], (
        f"the run after one new export read {_built_exports(pipeline)}, not only {fourth.name}")
    members_sql = _compiled(pipeline, MEMBERS_SQL)
    assert _built_exports(pipeline, MEMBERS_SQL) == [fourth.name] and "where false" not in members_sql, (
        f"stg_membership__members read {_built_exports(pipeline, MEMBERS_SQL)}, not only {fourth.name}")
    assert " or trim(member_id) in" not in members_sql, "no load was gone, yet members were read in full"
    _assert_equal_to_full_rebuild(pipeline, "a new export")

    change_export(source / fourth.name)
    _run(pipeline, "the run after the newest export changed")
    assert _built_exports(pipeline) == [fourth.name], (
        f"the run after {fourth.name} changed read {_built_exports(pipeline)}, not only it")
    _assert_equal_to_full_rebuild(pipeline, f"{fourth.name} was reloaded with changed rows")

    forgotten = source / fourth.name
    forgotten.unlink()
    result = pipeline.forget(str(forgotten.resolve()))
    assert result.returncode == 0, f"loader forget: {explain(result)}"
    _run(pipeline, "the run after the newest export was forgotten")
    assert _built_exports(pipeline) == [], (
        f"the run after {fourth.name} was forgotten read {_built_exports(pipeline)}, not nothing")
    _assert_equal_to_full_rebuild(pipeline, f"{fourth.name} was forgotten")


def loader_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "loader", *args]
