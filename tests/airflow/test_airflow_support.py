"""The DAG's helpers that need no Airflow: the GA4 window of a run, the exit codes of
a lone step, and `python -m pipeline.step_cli` itself (the load step as the DAG runs it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import airflow_support as support
from tests.support.pipeline_runs import ROOT

SEOUL = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2025, 3, 20, 0, 0, tzinfo=dt.UTC)


def _daily(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The interval of the 06:30 Asia/Seoul run on `day`: the 24 hours before it."""
    end = dt.datetime.combine(day, dt.time(6, 30), SEOUL)
    return end - dt.timedelta(days=1), end


def test_a_daily_interval_is_the_day_before_the_run() -> None:
    start, end = _daily(dt.date(2025, 2, 10))
    assert support.interval_dates(start, end, "Asia/Seoul") == (dt.date(2025, 2, 9), dt.date(2025, 2, 9))


def test_a_week_long_interval_covers_seven_days_and_an_empty_one_its_first_day() -> None:
    start = dt.datetime(2025, 2, 1, 0, 0, tzinfo=SEOUL)
    assert support.interval_dates(start, start + dt.timedelta(days=7), "Asia/Seoul") == (
        dt.date(2025, 2, 1), dt.date(2025, 2, 7))
    assert support.interval_dates(start, start, "Asia/Seoul") == (dt.date(2025, 2, 1), dt.date(2025, 2, 1))


def test_interval_days_are_taken_in_the_reporting_zone() -> None:
    # 2025-02-09 16:00 UTC is already 2025-02-10 in Seoul.
    start = dt.datetime(2025, 2, 9, 16, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    assert support.interval_dates(start, end, "Asia/Seoul") == (dt.date(2025, 2, 10), dt.date(2025, 2, 10))
    assert support.interval_dates(start, end, "UTC") == (dt.date(2025, 2, 9), dt.date(2025, 2, 9))


def test_a_run_on_time_relies_on_the_lookback() -> None:
    start, end = _daily(dt.date(2025, 3, 20))
    assert support.ga4_window(start, end, "scheduled", NOW, 3, "Asia/Seoul") == {}
    assert support.ga4_window(start, end, "manual", NOW, 3, "Asia/Seoul") == {}


def test_a_backfill_run_passes_its_interval_even_when_recent() -> None:
    start, end = _daily(dt.date(2025, 3, 20))
    assert support.ga4_window(start, end, "backfill", NOW, 3, "Asia/Seoul") == {
        "start_date": "2025-03-19", "end_date": "2025-03-19"}


def test_a_run_older_than_the_lookback_passes_its_interval() -> None:
    start, end = _daily(dt.date(2025, 3, 17))  # ended 3 days and 2.5 hours before NOW
    assert support.ga4_window(start, end, "scheduled", NOW, 3, "Asia/Seoul") == {
        "start_date": "2025-03-16", "end_date": "2025-03-16"}
    start, end = _daily(dt.date(2025, 3, 18))  # 2 days and 2.5 hours: the lookback covers it
    assert support.ga4_window(start, end, "scheduled", NOW, 3, "Asia/Seoul") == {}


@pytest.mark.parametrize(("code", "outcome"), [(0, "success"), (3, "retry"), (130, "retry"), (1, "fail"), (2, "fail"),
                                                  (-9, "fail")])
def test_only_a_transient_or_stopped_exit_is_retried(code: int, outcome: str) -> None:
    assert support.step_outcome(code) == outcome


def test_the_target_decides_the_pool() -> None:
    assert support.pool_for(support.dbt_target({})) == "membership_duckdb"
    assert support.pool_for(support.dbt_target({"DBT_TARGET": "bigquery"})) == "default_pool"
    with pytest.raises(ValueError, match="DBT_TARGET is 'postgres'"):
        support.dbt_target({"DBT_TARGET": "postgres"})


def test_the_report_path_comes_from_the_environment() -> None:
    assert support.report_args({}) == []
    assert support.report_args({"MEMBERSHIP_REPORT_PATH": "/srv/r.html"}) == ["--report-path", "/srv/r.html"]


def _step(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline.step_cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_step_cli_loads_and_refuses_as_orchestrate_does(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    source = tmp_path / "exports"
    source.mkdir()
    (source / "members_1.csv").write_text("member_id,signup_at\nm1,2025-03-01 10:00:00\n", encoding="utf-8")
    env = {**subprocess_env, "MEMBERSHIP_SOURCE_URI": str(source / "*.csv"), "DBT_TARGET": "duckdb"}
    loaded = _step(["load"], env)
    assert loaded.returncode == 0, loaded.stderr
    record = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert record["status"] == "success" and record["details"]["rows_loaded"] == 1
    # A membership source of one's own and no GA4_LOCAL_PATH: no GA4 (never the sample's).
    assert record["dbt_environment"] == {"DBT_TARGET": "duckdb", "DUCKDB_PATH": env["DUCKDB_PATH"],
                                         "RAW_SCHEMA": "raw"}
    assert record["dbt_vars"] == {"ga4_enabled": False}
    (source / "members_2.csv").write_text("member_id,plan\nm2,free\n", encoding="utf-8")
    refused = _step(["load"], env)
    assert refused.returncode == 1, refused.stderr
    record = json.loads(refused.stdout.strip().splitlines()[-1])
    assert record["status"] == "failed" and record["transient"] is False
    assert "members_2.csv" in record["error"] and "signup_at" in record["error"]


def test_step_cli_names_the_steps_when_given_an_unknown_one(subprocess_env: dict[str, str]) -> None:
    result = _step(["lod"], subprocess_env)
    assert result.returncode == 2
    assert "one of" in result.stderr and "load" in result.stderr and result.stdout == ""


def test_the_unit_test_conversion_warning_is_dropped_and_nothing_else() -> None:
    logger = logging.getLogger("cosmos.airflow.graph")
    support.quiet_unit_test_warnings()
    support.quiet_unit_test_warnings()  # once, however often the DAG file is parsed
    assert sum(isinstance(f, support.UnitTestConversionFilter) for f in logger.filters) == 1
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.warning("Unavailable conversion function for <DbtResourceType.UNIT_TEST> (node <unit_test.x>). "
                       "Define a converter function using render_config.node_converters.")
        logger.warning("Unavailable conversion function for <DbtResourceType.EXPOSURE> (node <exposure.z>).")
        logger.warning("Unavailable conversion function for <DbtResourceType.SNAPSHOT> (node <snapshot.y>).")
    finally:
        logger.removeHandler(handler)
    assert seen == ["Unavailable conversion function for <DbtResourceType.SNAPSHOT> (node <snapshot.y>)."]
