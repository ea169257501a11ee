"""The Airflow DAG (dags/membership_elt.py) in a real Airflow 3, on the DuckDB default.

Airflow is installed from requirements-airflow.txt into its own cached virtualenv
(scripts/airflow_env.py; about 45 s the first time). Each module run gets a new
AIRFLOW_HOME with a SQLite metadata database (`airflow db migrate`), the DuckDB pool,
and generated sample data at private paths. Then:

- the DAG imports with no error, with the expected tasks, dependencies and schedule;
- `airflow dags test membership_elt <now>` runs every task to success, and the marts
  equal the reference computation, as the end-to-end test checks for orchestrate.py;
- a run for a past logical date passes its data interval to dbt as the GA4
  `start_date` / `end_date` vars (read back from `analytics._build_metadata`).

Set AIRFLOW_REQUIRED=1 (or CI=true) to make an install failure an error instead of a
skip: CI must run these tests, a laptop without the package index need not.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest

import samplegen
import tests.reference.reference_metrics as ref
from scripts.airflow_env import AirflowUnavailable, ensure_installed
from tests.support.pipeline_runs import ROOT, Workspace
from tests.support.reference_comparison import assert_marts_match_reference

pytestmark = pytest.mark.slow

DAG_ID = "membership_elt"
MEMBERS_PER_YEAR = 2000
DAYS = 40
START = dt.date(2025, 1, 20)
SEED = 20250121
PAST_LOGICAL_DATE = "2025-02-10T06:30:00+09:00"  # a scheduled time, inside the sample's range
GA4_INCREMENTAL_MODELS = ("base_ga4__events", "int_ga4_user_days_aggregated")
RUN_TIMEOUT_SECONDS = 1500


def _required() -> bool:
    return any(os.environ.get(name, "").lower() in {"1", "true", "yes"}
               for name in ("AIRFLOW_REQUIRED", "CI"))


class Airflow:
    """An AIRFLOW_HOME with its own metadata database, pointed at one workspace."""

    def __init__(self, venv: Path, home: Path, ws: Workspace) -> None:
        self.venv, self.home, self.ws = venv, home, ws

    @property
    def report_path(self) -> Path:
        return self.ws.root / "report" / "index.html"

    def env(self) -> dict[str, str]:
        return self.ws.env(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__COSMOS__CACHE_DIR=str(self.home / "cosmos"),
            AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
            # Cosmos's partial-parse cache copies a manifest.json from beside the
            # partial_parse.msgpack it ran with; with DBT_TARGET_PATH set (as here) dbt
            # ls writes that manifest elsewhere and the DAG fails to import whenever
            # dbt_project/target holds a msgpack (docs/troubleshooting.md).
            AIRFLOW__COSMOS__ENABLE_CACHE_PARTIAL_PARSE="False",
            # Parsing runs `dbt ls`, which can take longer than Airflow's default 30 s
            # on a busy machine: a generous ceiling, not a timing assertion.
            AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="600",
            SCARF_NO_ANALYTICS="true",
            MEMBERSHIP_REPORT_PATH=str(self.report_path),
        )

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "airflow"), *args], env=self.env(),
                              cwd=self.home, capture_output=True, text=True, timeout=timeout)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "python"), "-c", code], env=self.env(),
                              cwd=self.home, capture_output=True, text=True, timeout=300)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "airflow.db")

    def latest_run(self) -> dict[str, Any]:
        with self.db() as con:
            con.row_factory = sqlite3.Row
            row = con.execute("select run_id, run_type, data_interval_start, data_interval_end "
                              "from dag_run where dag_id = ? order by id desc limit 1", (DAG_ID,)).fetchone()
        assert row is not None, "no dag run was recorded"
        return dict(row)

    def task_states(self, run_id: str) -> dict[str, str]:
        with self.db() as con:
            return dict(con.execute("select task_id, state from task_instance where dag_id = ? and run_id = ?",
                                    (DAG_ID, run_id)).fetchall())


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-4000:]}"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Airflow:
    started = time.monotonic()
    try:
        venv = ensure_installed()
    except AirflowUnavailable as error:
        message = f"AIRFLOW TESTS NOT RUN: the Airflow environment could not be installed. {error}"
        if _required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    print(f"\nAirflow environment ready in {time.monotonic() - started:.1f} s: {venv}")
    root = tmp_path_factory.mktemp("airflow")
    samplegen.generate(root / "data", members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=SEED, messy=False)
    ws = Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    af = Airflow(venv, root / "airflow_home", ws)
    af.home.mkdir()
    for args in (("db", "migrate"), ("pools", "set", "membership_duckdb", "1", "DuckDB: one writer")):
        result = af.run(*args)
        assert result.returncode == 0, explain(result)
    return af


@pytest.fixture(scope="module")
def reference(airflow: Airflow) -> dict[str, pd.DataFrame]:
    """The reference marts of the module's exports, computed once: both DAG runs read
    the same files, so each compares its marts with the same expectation."""
    return ref.compute_all(airflow.ws.membership_dir, airflow.ws.ga4_dir)


_DESCRIBE_DAG = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag()
dag = bag.dags.get("membership_elt")
print(json.dumps({
    "errors": {str(k): str(v)[-2000:] for k, v in bag.import_errors.items()},
    "tasks": {} if dag is None else {
        t.task_id: {"downstream": sorted(t.downstream_task_ids), "pool": t.pool, "retries": t.retries,
                    "backoff": bool(t.retry_exponential_backoff)}
        for t in dag.tasks},
    "max_active_runs": dag and dag.max_active_runs,
    "catchup": dag and dag.catchup,
    "timetable": dag and dag.timetable.summary,
    "timezone": dag and str(dag.timezone),
}))
"""


def test_the_dag_imports_with_its_tasks_dependencies_and_schedule(airflow: Airflow) -> None:
    result = airflow.python(_DESCRIBE_DAG)
    assert result.returncode == 0, explain(result)
    described = json.loads(result.stdout.strip().splitlines()[-1])
    assert described["errors"] == {}
    tasks = described["tasks"]
    assert {"load", "docs", "report"} <= set(tasks)
    models = {name.split(".", 1)[1].removesuffix("_model_build") for name in tasks if name.endswith("_model_build")}
    assert {"stg_membership__members", "base_ga4__events", "fct_kpis_weekly", "fct_kpis_monthly",
            "fct_retention_cohorts_monthly", "fct_ga4__active_users_daily", "dim_members"} <= models
    dbt_tasks = {name for name in tasks if name.startswith("dbt.")}
    # load comes first; docs and report come after every dbt task.
    assert set(tasks["load"]["downstream"]) <= dbt_tasks and tasks["load"]["downstream"]
    leaves = [name for name in dbt_tasks if not set(tasks[name]["downstream"]) & dbt_tasks]
    assert leaves and all(tasks[name]["downstream"] == ["docs", "report"] for name in leaves)
    # a model runs after the models it reads
    assert "dbt.fct_kpis_weekly_model_build" in tasks["dbt.int_kpis_aggregated_model_build"]["downstream"]
    assert "dbt.int_members_validated_model_build" in tasks["dbt.stg_membership__members_model_build"]["downstream"]
    # a test of two models waits for both
    relationship = [name for name in dbt_tasks if name.startswith("dbt.relationships_int_members_validated")]
    assert relationship and relationship[0] in tasks["dbt.int_members_validated_model_build"]["downstream"]
    assert all(task["pool"] == "membership_duckdb" for task in tasks.values())
    assert tasks["load"]["retries"] >= 1 and tasks["load"]["backoff"]
    assert all(tasks[name]["retries"] >= 1 and tasks[name]["backoff"] for name in dbt_tasks)
    assert described["max_active_runs"] == 1 and described["catchup"] is False
    assert described["timetable"] == "30 6 * * *" and described["timezone"] == "Asia/Seoul"


def test_dags_list_prints_no_unit_test_conversion_warnings(airflow: Airflow) -> None:
    """docs/operations.md's `airflow dags reserialize && airflow dags list`: the DAG, without one
    Cosmos warning per dbt unit test (each unit test runs in its model's task;
    pipeline/airflow_support.py)."""
    reserialized = airflow.run("dags", "reserialize")
    assert reserialized.returncode == 0, explain(reserialized)
    listed = airflow.run("dags", "list")
    assert listed.returncode == 0, explain(listed)
    assert "membership_elt" in listed.stdout, explain(listed)
    output = reserialized.stdout + reserialized.stderr + listed.stdout + listed.stderr
    assert "Unavailable conversion function" not in output, output[-3000:]


def test_a_dag_run_succeeds_and_its_marts_match_the_reference(
        airflow: Airflow, reference: dict[str, pd.DataFrame]) -> None:
    """A run on time (logical date now): every task succeeds, no GA4 window is passed
    (the first incremental run builds everything), and every mart cell equals the
    reference; the docs and the report are written."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    started = time.monotonic()
    result = airflow.run("dags", "test", DAG_ID, now, timeout=RUN_TIMEOUT_SECONDS)
    print(f"\nairflow dags test {DAG_ID} {now}: {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, explain(result)
    run = airflow.latest_run()
    states = airflow.task_states(run["run_id"])
    assert len(states) > 20 and {"load", "docs", "report"} <= set(states)
    assert {task: state for task, state in states.items() if state != "success"} == {}
    assert_marts_match_reference(airflow.ws, reference)
    with duckdb.connect(str(airflow.ws.duckdb_path), read_only=True) as con:
        recorded = con.execute("select model_name, vars_json from analytics._build_metadata").fetchall()
    assert {name for name, _ in recorded} >= set(GA4_INCREMENTAL_MODELS)
    assert all(json.loads(vars_json)["start_date"] is None for _, vars_json in recorded)
    assert (airflow.ws.root / "dbt_target" / "catalog.json").exists()
    assert airflow.report_path.exists()


def test_a_past_logical_date_passes_its_interval_to_dbt(
        airflow: Airflow, reference: dict[str, pd.DataFrame]) -> None:
    """A run for a past date rebuilds the GA4 days of its data interval: the
    incremental GA4 models get start_date / end_date, the reporting-zone days from
    the interval's start to the day before its end. Only load and those two models
    run; the other tasks are marked successful (they would rebuild as before)."""
    models = "|".join(GA4_INCREMENTAL_MODELS)
    result = airflow.run("dags", "test", DAG_ID, PAST_LOGICAL_DATE,
                         # matched against the whole task id: every task but these
                         "--mark-success-pattern", rf"(?!load$|dbt\.({models})_model_build$).*",
                         timeout=RUN_TIMEOUT_SECONDS)
    assert result.returncode == 0, explain(result)
    run = airflow.latest_run()
    states = airflow.task_states(run["run_id"])
    assert {task: state for task, state in states.items() if state != "success"} == {}
    seoul = ZoneInfo("Asia/Seoul")
    start = dt.datetime.fromisoformat(run["data_interval_start"]).replace(tzinfo=dt.UTC)
    end = dt.datetime.fromisoformat(run["data_interval_end"]).replace(tzinfo=dt.UTC)
    expected = {"start_date": start.astimezone(seoul).date().isoformat(),
                "end_date": (end.astimezone(seoul).date() - dt.timedelta(days=1)).isoformat()}
    assert expected == {"start_date": "2025-02-09", "end_date": "2025-02-09"}
    with duckdb.connect(str(airflow.ws.duckdb_path), read_only=True) as con:
        latest = dict(con.execute(
            "select model_name, arg_max(vars_json, built_at) from analytics._build_metadata "
            "group by model_name").fetchall())
    for model in GA4_INCREMENTAL_MODELS:
        recorded = json.loads(latest[model])
        assert {key: recorded[key] for key in expected} == expected, model
    assert_marts_match_reference(airflow.ws, reference)


def test_the_airflow_environment_is_not_the_projects() -> None:
    """Airflow and dbt never share an interpreter: .venv has no Airflow."""
    result = subprocess.run([sys.executable, "-c", "import airflow"], capture_output=True, text=True)
    assert result.returncode != 0
