"""Source freshness of raw.membership, as a scheduler's monitoring would run it:
`dbt source freshness` passes right after a load, warns once the newest load is
older than `membership_freshness_warn_hours` (36) and errors past
`membership_freshness_error_hours` (72)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from loader import load

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    export = tmp_path / "members_20250131.csv"
    export.write_text("member_id,signup_at\n1,2025-01-02 10:00:00\n", encoding="utf-8")
    path = tmp_path / "warehouse.duckdb"
    load(str(export), target="duckdb", duckdb_path=str(path))
    return path


def _freshness(warehouse: Path, tmp_path: Path) -> tuple[int, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "BQ_"))}
    env.update({
        "DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(tmp_path / "dbt_target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    result = subprocess.run([str(DBT), "source", "freshness", "--select", "source:membership"],
                            cwd=ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=300)
    sources = json.loads((tmp_path / "dbt_target" / "sources.json").read_text())
    statuses = {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in sources["results"]}
    return result.returncode, statuses


def _age_loads(warehouse: Path, hours: int) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"update raw.membership set _loaded_at = now() - interval {hours} hour")


def test_fresh_load_passes(warehouse: Path, tmp_path: Path) -> None:
    code, statuses = _freshness(warehouse, tmp_path)
    assert (code, statuses) == (0, {"membership": "pass"})


def test_load_older_than_warn_threshold_warns(warehouse: Path, tmp_path: Path) -> None:
    _age_loads(warehouse, 48)
    code, statuses = _freshness(warehouse, tmp_path)
    assert (code, statuses) == (0, {"membership": "warn"})


def test_load_older_than_error_threshold_errors(warehouse: Path, tmp_path: Path) -> None:
    _age_loads(warehouse, 100)
    code, statuses = _freshness(warehouse, tmp_path)
    assert code != 0
    assert statuses == {"membership": "error"}
