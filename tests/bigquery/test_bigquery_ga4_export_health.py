"""GA4 export health on the BigQuery target, against the local BigQuery API.

Messy generated files (one GA4 day unexported, one half-exported) go through the
whole BigQuery pipeline; fct_ga4__export_days and the active users' flags must equal
the independent reference (tests/reference_ga4_export.py), and the table times,
which only BigQuery has, must be the dataset's own metadata.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pandas as pd
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

import samplegen
from samplegen.export_gaps import MESSY_HALF_DAY_INDEX, MESSY_MISSING_DAY_INDEX
from tests.reference.reference_ga4_export import EXPORT_DAY_COLUMNS, export_days, with_export_flags
from tests.support.bigquery_emulator import Emulator, emulator_env
from tests.support.pipeline_runs import ROOT, Workspace, explain, step
from tests.support.reference_comparison import mismatches

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

MEMBERS_PER_YEAR = 1200
DAYS = 32
START = dt.date(2025, 3, 3)
SEED = 31
SEOUL = dt.timezone(dt.timedelta(hours=9))
# A property of its own: other BigQuery test modules load the default dataset.
GA4_DATASET = "analytics_23023"
FLAGS = ["is_dau_export_incomplete", "is_wau_7d_export_incomplete", "is_mau_28d_export_incomplete"]


def _differences(name: str, mart: pd.DataFrame, expected: pd.DataFrame, key: str,
                 columns: list[str]) -> list[str]:
    """The end-to-end tests' reference comparison, on `columns` only."""
    shown = [key, *(c for c in columns if c != key)]
    return mismatches(name, mart[shown], expected[shown], keys=[key])


@pytest.fixture(scope="module")
def pipeline(bigquery_emulator: Emulator,
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, str], str]:
    root = tmp_path_factory.mktemp("bq_export_health")
    samplegen.generate(root / "data", members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=SEED, messy=True)
    ws = Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    env = emulator_env(bigquery_emulator, BQ_DATASET="marts_export_health", RAW_SCHEMA="raw_export_health",
                       BQ_THREADS="2")
    load = subprocess.run([sys.executable, str(ROOT / "scripts" / "load_ga4_sample.py"), str(ws.ga4_dir),
                           "--target", "bigquery", "--dataset", GA4_DATASET],
                          env=env, capture_output=True, text=True, timeout=300)
    assert load.returncode == 0, explain(load)
    extra = {k: v for k, v in env.items() if k.startswith(("BQ_", "GOOGLE_", "BIGQUERY_")) or k == "RAW_SCHEMA"}
    run = ws.run("--target", "bigquery", "--vars", f"{{ga4_dataset: {GA4_DATASET}}}", timeout=900, **extra)
    assert run.returncode == 0, explain(run)
    return ws, env, run.stdout


def _rows(emulator: Emulator, dataset: str, sql: str) -> list[dict[str, Any]]:
    client = bigquery.Client(project=emulator.project, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": emulator.endpoint})
    try:
        return [dict(row.items()) for row in client.query(sql.replace("{dataset}", dataset)).result()]
    finally:
        client.close()


def test_export_days_and_flags_on_bigquery_equal_the_reference(
    bigquery_emulator: Emulator, pipeline: tuple[Workspace, dict[str, str], str]
) -> None:
    ws, env, stdout = pipeline
    project, dataset = bigquery_emulator.project, env["BQ_DATASET"]
    days = _rows(bigquery_emulator, dataset,
                 f"select * from `{project}.{{dataset}}.fct_ga4__export_days` order by export_date")
    expected = export_days(ws.ga4_dir).to_dict("records")
    problems = _differences("fct_ga4__export_days", pd.DataFrame(days), pd.DataFrame(expected),
                           "export_date", EXPORT_DAY_COLUMNS)

    users = _rows(bigquery_emulator, dataset,
                  f"select * from `{project}.{{dataset}}.fct_ga4__active_users_daily` order by event_date")
    flagged = with_export_flags(pd.DataFrame({"event_date": [r["event_date"] for r in users]}), ws.ga4_dir)
    problems += _differences("fct_ga4__active_users_daily", pd.DataFrame(users), flagged, "event_date", FLAGS)
    assert not problems, "\n".join(problems[:30])

    missing = START + dt.timedelta(days=MESSY_MISSING_DAY_INDEX)
    half = START + dt.timedelta(days=MESSY_HALF_DAY_INDEX)
    assert [r["export_date"] for r in days if r["is_incomplete_day"]] == [missing, half]
    assert f"GA4 export: 1 missing day ({missing}); 1 short day ({half})." in stdout
    warned = {p["name"] for p in step(ws.summary(), "dbt_build")["details"]["problems"] if p["status"] == "warn"}
    assert {"ga4_export_day_missing", "ga4_export_day_short"} <= warned


def test_table_times_are_the_datasets_metadata(
    bigquery_emulator: Emulator, pipeline: tuple[Workspace, dict[str, str], str]
) -> None:
    ws, env, _ = pipeline
    project, dataset = bigquery_emulator.project, env["BQ_DATASET"]
    days = _rows(bigquery_emulator, dataset,
                 f"select * from `{project}.{{dataset}}.fct_ga4__export_days` order by export_date")
    client = bigquery.Client(project=project, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": bigquery_emulator.endpoint})
    try:
        for row in days:
            if not row["has_daily_table"]:
                assert row["table_created_at_utc"] is None and row["hours_after_day_end"] is None, row
                continue
            table = client.get_table(f"{project}.{GA4_DATASET}.events_{row['export_date']:%Y%m%d}")
            assert row["table_created_at_utc"] == table.created, row
            assert row["table_modified_at_utc"] == table.modified, row
            # Hours from the end of the day in the reporting time zone (Asia/Seoul) to the
            # creation, counted as hour boundaries crossed.
            day_end = dt.datetime.combine(row["export_date"] + dt.timedelta(days=1), dt.time(0), SEOUL)
            hour = dt.timedelta(hours=1)
            created = table.created.replace(minute=0, second=0, microsecond=0)
            assert row["hours_after_day_end"] == (created - day_end) // hour, row
            restated = (table.modified.replace(second=0, microsecond=0)
                        - table.created.replace(second=0, microsecond=0)) >= dt.timedelta(minutes=60)
            assert row["is_restated"] is restated, row
    finally:
        client.close()
