"""What the Airflow DAG (dags/membership_elt.py) needs beyond wiring.

This module is imported by Airflow's own interpreter, which has none of the
project's packages: it uses the standard library (and pipeline/stopping.py and
membership_elt/, which use only that), PyYAML (which Airflow has) and Airflow itself,
imported inside the functions that run in a task. The project's code
runs in the project's .venv, as child processes: `python -m pipeline.step_cli STEP`
for the load, docs and report steps, and the .venv's dbt for the Cosmos tasks.

- `run_project_step`: one step of orchestrate.py (load, docs, report) in the .venv;
  its exit code decides between a failure Airflow retries (transient) and one it
  does not.
- `ga4_window`: the GA4 `start_date` / `end_date` vars a run passes to dbt, if any.
- `dbt_interceptor`: gives each Cosmos dbt task the load step's resolved warehouse
  settings and the run's GA4 window.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from membership_elt.exit_codes import RETRY_LATER, ExitCode
from membership_elt.targets import get_target, target_from_environ
from pipeline.stopping import STOP_GRACE_SECONDS, die_with_parent, stop_child

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_YML = DBT_PROJECT_DIR / "profiles.yml"
# The project's environment (make run / make test create it); another location can be
# named for a deployment that keeps it elsewhere.
PROJECT_VENV = Path(os.environ.get("MEMBERSHIP_ELT_VENV") or REPO_ROOT / ".venv")
PROJECT_PYTHON = PROJECT_VENV / "bin" / "python"
PROJECT_DBT = PROJECT_VENV / "bin" / "dbt"

# DuckDB lets one process write a database file at a time: on such a target
# (Target.single_writer) every task that opens the warehouse takes a slot of this one-slot pool (created by the user,
# see docs/operations.md). BigQuery takes Airflow's default pool, so dbt tasks run in parallel.
DUCKDB_POOL = "membership_duckdb"
DEFAULT_POOL = "default_pool"

# The worker's environment as it was when the DAG file was imported, before any task
# ran: Cosmos copies each dbt task's environment into os.environ (for OpenLineage), and
# a step started later in the same process (`airflow dags test` runs every task in
# one) must not inherit the interceptor's DBT_TARGET_PATH.
WORKER_ENVIRONMENT = dict(os.environ)

LOAD_TASK_ID = "load"
BACKFILL_RUN_TYPE = "backfill"


def dbt_target(environ: dict[str, str] | None = None) -> str:
    """The warehouse the DAG runs on: $DBT_TARGET, as for orchestrate.py (default duckdb)."""
    return target_from_environ(os.environ if environ is None else environ).name


def pool_for(target: str) -> str:
    return DUCKDB_POOL if get_target(target).single_writer else DEFAULT_POOL


def project_var_defaults() -> dict[str, Any]:
    """The vars dbt_project.yml declares, with their defaults (the rules apart)."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return {name: value for name, value in (project.get("vars") or {}).items() if name != "var_rules"}


# --- what a person reads in Airflow's output ------------------------------------------

# Nodes Cosmos has no task for, by design: each unit test runs inside its model's
# task (TestBehavior.BUILD: `dbt build --select <model>` runs the model's unit tests
# first), an exposure only documents who reads the marts, and a semantic model or
# metric is a definition MetricFlow reads at query time (its time spine is a model,
# with a task).
NO_TASK_WARNINGS = tuple(f"Unavailable conversion function for <DbtResourceType.{kind}>"
                         for kind in ("UNIT_TEST", "EXPOSURE", "SEMANTIC_MODEL", "METRIC", "SAVED_QUERY"))


class UnitTestConversionFilter(logging.Filter):
    """Drops Cosmos's warning that it has no task for a dbt unit test, exposure or
    semantic-layer node (one per node, on every parse: dozens of lines of `airflow dags
    list`). Nothing is lost: see
    NO_TASK_WARNINGS. Any other node without a task still warns."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(warning in message for warning in NO_TASK_WARNINGS)


def quiet_unit_test_warnings() -> None:
    """Install the filter on the Cosmos logger that emits the warning (once)."""
    logger = logging.getLogger("cosmos.airflow.graph")
    if not any(isinstance(f, UnitTestConversionFilter) for f in logger.filters):
        logger.addFilter(UnitTestConversionFilter())


# --- the GA4 window of a run --------------------------------------------------------


def interval_dates(start: dt.datetime, end: dt.datetime, zone: str) -> tuple[dt.date, dt.date]:
    """The reporting-zone days a data interval covers: from the day it starts on to the
    day before the one it ends on (a daily interval [D 06:30, D+1 06:30) is day D);
    at least the first day."""
    tz = ZoneInfo(zone)
    first = start.astimezone(tz).date()
    last = end.astimezone(tz).date() - dt.timedelta(days=1)
    return first, max(first, last)


def ga4_window(start: dt.datetime, end: dt.datetime, run_type: str, now: dt.datetime,
               lookback_days: int, zone: str) -> dict[str, str]:
    """The GA4 vars of a run: `{start_date, end_date}` (ISO dates) or none.

    A backfill run, and any run whose interval ended more than `lookback_days` days
    before its dbt tasks run (a cleared old run, a catch-up run, `airflow dags test` for a
    past date), rebuilds exactly the days of its interval. A run on time passes
    nothing: the incremental models reprocess the last `lookback_days` days before
    the newest day loaded and every day after it, which covers its interval and the
    days Google restated since.
    """
    late = now - end > dt.timedelta(days=lookback_days)
    if run_type != BACKFILL_RUN_TYPE and not late:
        return {}
    first, last = interval_dates(start, end, zone)
    return {"start_date": first.isoformat(), "end_date": last.isoformat()}


def dbt_interceptor(context: Any, operator: Any) -> None:
    """Cosmos calls this before it builds each dbt command.

    The warehouse settings come from the load task's result, resolved once by the
    project's own settings code; the GA4 vars from the run's data interval.
    """
    from airflow.sdk.exceptions import AirflowFailException

    loaded = context["ti"].xcom_pull(task_ids=LOAD_TASK_ID)
    if not loaded or "dbt_environment" not in loaded:
        raise AirflowFailException(
            f"task {LOAD_TASK_ID!r} of this run left no result, so this dbt task does not know "
            f"which warehouse to build: clear {LOAD_TASK_ID!r} together with the dbt tasks "
            "(clear with downstream) and run them again")
    dag_run = context["dag_run"]
    defaults = project_var_defaults()
    window = ga4_window(
        context["data_interval_start"], context["data_interval_end"], str(dag_run.run_type),
        # Not the run's start_date: `airflow dags test` sets that to the logical date.
        dt.datetime.now(dt.UTC),
        int(defaults["ga4_lookback_days"]), str(defaults["reporting_timezone"]),
    )
    # New objects each time: operator_args' dicts are shared by every task of the group.
    operator.env = {
        **(operator.env or {}),
        **loaded["dbt_environment"],
        # Cosmos runs dbt in a temporary copy of the project and reads its artifacts
        # from target/ there; an absolute DBT_TARGET_PATH from the worker would move them.
        "DBT_TARGET_PATH": "target",
        # A task log is a file: dbt's colour codes would show as escape sequences.
        "DBT_USE_COLORS": "false",
    }
    # ga4_enabled as the load task found it: without GA4 the GA4 models' tasks select
    # a disabled model and do nothing.
    operator.vars = {**(operator.vars or {}), **loaded.get("dbt_vars", {}), **window}
    if window:
        operator.log.info("GA4 window of this %s run: %s to %s", dag_run.run_type,
                          window["start_date"], window["end_date"])
    else:
        operator.log.info("GA4 window: the incremental lookback (a %s run on time)", dag_run.run_type)


# --- a step of orchestrate.py in the project's environment ---------------------------


def step_command(step: str, *args: str) -> list[str]:
    return [str(PROJECT_PYTHON), "-m", "pipeline.step_cli", step, *args]


def report_args(environ: dict[str, str] | None = None) -> list[str]:
    """Where the report task writes the page: $MEMBERSHIP_REPORT_PATH, else where
    `orchestrate.py --report` writes it (target/report/index.html)."""
    env = os.environ if environ is None else environ
    path = env.get("MEMBERSHIP_REPORT_PATH")
    return ["--report-path", path] if path else []


def step_outcome(returncode: int) -> str:
    """`success`, `retry` (a transient failure, or the step was stopped: running it
    again finishes the job) or `fail` (a retry would not help)."""
    if returncode == ExitCode.OK:
        return "success"
    return "retry" if returncode in RETRY_LATER else "fail"


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                return None
    return None


def _run_step_process(command: list[str]) -> tuple[int, str]:
    """The step's exit code and stdout; the step never outlives the task.

    Airflow stops a task in three ways, and each reaches the step as SIGTERM, on
    which it stops its own children and ends with its result: SIGTERM to the task
    process (Airflow's own handler only calls the operator's on_kill, a no-op for a
    @task, so it is passed on here); an exception raised in the task process (the
    execution timeout, Ctrl-C), on which the step is stopped before it propagates;
    the task process dying outright, on which the kernel signals the step
    (die_with_parent).
    """
    with subprocess.Popen(command, cwd=REPO_ROOT, env=WORKER_ENVIRONMENT, stdout=subprocess.PIPE,
                          text=True, encoding="utf-8", errors="replace",
                          preexec_fn=die_with_parent(signal.SIGTERM)) as process, _passing_sigterm_to(process):
        try:
            stdout, _ = process.communicate()
        except BaseException:
            stop_child(process, signal.SIGTERM, STOP_GRACE_SECONDS + 5)
            raise
    return process.returncode, stdout


@contextmanager
def _passing_sigterm_to(process: subprocess.Popen[str]) -> Iterator[None]:
    """SIGTERM to this process also goes to `process`; the handler that was there still runs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler; the kernel's signal still covers a death
        return
    previous = signal.getsignal(signal.SIGTERM)

    def forward(signum: int, frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, forward)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_project_step(step: str, *args: str) -> dict[str, Any]:
    """Run `pipeline.step_cli STEP [ARGS]` in the .venv; return its result (the task's XCom).

    The child inherits the worker's environment (credentials, MEMBERSHIP_SOURCE_URI,
    DUCKDB_PATH, ...) and writes its log to the task log. A transient failure raises
    AirflowException, which Airflow retries; any other failure raises
    AirflowFailException, which it does not.
    """
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    if not PROJECT_PYTHON.exists():
        raise AirflowFailException(
            f"the project's environment is missing: {PROJECT_PYTHON} does not exist. Run "
            f"`make .venv/.installed-run` in {REPO_ROOT}, or set MEMBERSHIP_ELT_VENV to its path")
    returncode, stdout = _run_step_process(step_command(step, *args))
    result = _last_json_line(stdout)
    outcome = step_outcome(returncode)
    if outcome == "success" and result is not None:
        return result
    reason = (result or {}).get("error") or f"exit code {returncode}; see the log above"
    if returncode == ExitCode.INTERRUPTED:
        raise AirflowException(f"{step} was stopped ({reason}); it stopped its children, and a retry "
                               "finishes the job")
    if outcome == "retry":
        raise AirflowException(f"{step} failed transiently (Airflow retries it): {reason}")
    raise AirflowFailException(f"{step} failed, and a retry would not help: {reason}")
