"""The int_kpis_aggregated scaling benchmark runs on the model's SQL as it is today.

The benchmark swaps the model's upstream relations for synthetic tables, so it breaks
as soon as the model reads a relation the benchmark does not build. Here the model is
compiled from the project and run at the benchmark's smallest size (its own quick
check); no timing assertion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")


def _compiled_model(tmp_path: Path) -> Path:
    env = {**os.environ, "DBT_TARGET": "duckdb", "DUCKDB_PATH": str(tmp_path / "compile.duckdb")}
    target = tmp_path / "target"
    compiled = subprocess.run(
        [str(DBT), "compile", "--select", "int_kpis_aggregated", "--project-dir", str(DBT_PROJECT),
         "--profiles-dir", str(DBT_PROJECT), "--target-path", str(target), "--log-path", str(tmp_path / "logs")],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    (path,) = target.glob("compiled/*/models/intermediate/int_kpis_aggregated.sql")
    return path


def test_the_kpi_scaling_benchmark_runs_the_models_sql(tmp_path: Path) -> None:
    sql = _compiled_model(tmp_path)
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "kpi_scaling_bench.py"), str(sql), "--workdir", str(tmp_path / "kpi")],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    small = json.loads(run.stdout.strip().splitlines()[-1])["small"]
    # Every relation the model reads was swapped for a synthetic one, and the model
    # gives one row per period of the spine (weeks and months of the year).
    swapped = (tmp_path / "kpi" / "int_kpis_aggregated.sql").read_text()
    assert "int_paying_spells_merged" not in swapped and "int_members_validated" not in swapped
    assert small["members"] == 10_000 and small["periods"] > 60
    assert small["rows"] == small["periods"]
