"""The membership ELT pipeline as an Airflow 3 DAG: load, the dbt project, docs, report.

    load  ->  dbt (Cosmos task group: a task per model, its tests right after it)  ->  docs
                                                                                 ->  report

- `load`: the loader, as orchestrate.py's load step (`python -m pipeline.step_cli load`
  in the project's .venv). A refused export fails it for good; only transient
  failures (S3 or the warehouse did not answer) are retried.
- `dbt`: the dbt project rendered by astronomer-cosmos from `dbt ls` (the .venv's
  dbt; no `dbt deps`), run with the .venv's dbt and dbt_project/profiles.yml: one
  task per model (and seed), `dbt build` of that node, so its unit tests, the model
  and its data tests run in that order; a test of several models runs in its own
  task once they are all built. A failing test stops only what depends on it.
- `docs`: `dbt docs generate`, as `orchestrate.py --docs` (into $DBT_TARGET_PATH or
  dbt_project/target).
- `report`: the KPI report page, as `orchestrate.py --report` (to
  $MEMBERSHIP_REPORT_PATH, default target/report/index.html).

Daily at 06:30 Asia/Seoul (GA4 has exported the previous day by then). A run on time
relies on the GA4 models' incremental lookback; a backfill run, or any run for an
interval older than the lookback, passes its interval as the dbt vars `start_date` /
`end_date` (pipeline/airflow_support.py, `ga4_window`). The target is $DBT_TARGET of
the Airflow environment (default duckdb); on DuckDB every task that opens the
warehouse takes the one-slot pool `membership_duckdb`.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

# Airflow's interpreter is its own environment (shared by every checkout on the
# machine, so the project is not installed into it): the checkout holding this DAG
# is put on its path instead, for the standard-library modules below.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from pipeline import airflow_support as support  # noqa: E402  (needs REPO_ROOT on sys.path)

support.quiet_unit_test_warnings()  # why: UnitTestConversionFilter's docstring
TARGET = support.dbt_target()
POOL = support.pool_for(TARGET)
REPORTING_TZ = pendulum.timezone(str(support.project_var_defaults()["reporting_timezone"]))

RETRY = {"retry_exponential_backoff": True, "max_retry_delay": timedelta(minutes=30)}


@dag(
    dag_id="membership_elt",
    schedule=CronTriggerTimetable("30 6 * * *", timezone=REPORTING_TZ, interval=timedelta(days=1)),
    start_date=pendulum.datetime(2025, 1, 1, tz=REPORTING_TZ),
    catchup=False,
    max_active_runs=1,
    tags=["membership", "dbt"],
    doc_md=__doc__,
)
def membership_elt() -> None:
    @task(task_id=support.LOAD_TASK_ID, pool=POOL, retries=3, retry_delay=timedelta(minutes=2), **RETRY)
    def load() -> dict:
        return support.run_project_step("load")

    dbt = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(dbt_project_path=support.DBT_PROJECT_DIR, install_dbt_deps=False),
        profile_config=ProfileConfig(profile_name="membership", target_name=TARGET,
                                     profiles_yml_filepath=support.PROFILES_YML),
        execution_config=ExecutionConfig(execution_mode=ExecutionMode.LOCAL,
                                         invocation_mode=InvocationMode.SUBPROCESS,
                                         dbt_executable_path=str(support.PROJECT_DBT)),
        render_config=RenderConfig(load_method=LoadMode.DBT_LS, test_behavior=TestBehavior.BUILD,
                                   invocation_mode=InvocationMode.SUBPROCESS,
                                   dbt_executable_path=str(support.PROJECT_DBT),
                                   # A test of several models (a relationship, a
                                   # reconciliation) runs once all of them are built.
                                   should_detach_multiple_parents_tests=True),
        operator_args={
            "append_env": True,  # credentials and settings from the worker's environment
            "interceptors": [support.dbt_interceptor],
            "pool": POOL,
            "retries": 2,
            "retry_delay": timedelta(minutes=1),
            **RETRY,
        },
    )

    @task(task_id="docs", pool=POOL, retries=1, retry_delay=timedelta(minutes=1))
    def docs() -> dict:
        return support.run_project_step("dbt_docs_generate")

    @task(task_id="report", pool=POOL, retries=1, retry_delay=timedelta(minutes=1))
    def report() -> dict:
        return support.run_project_step("report", *support.report_args())

    load() >> dbt >> [docs(), report()]


membership_elt()
