"""GA4 is optional on BigQuery too, against the local BigQuery API.

The GA4 dataset exists but holds no shard: `orchestrate.py --target bigquery` builds
the membership marts alone (equal to the reference computed without GA4), leaves the
GA4 models out of the run and says "GA4: not configured". Then the GA4 shards are
loaded into that dataset and the next run fills everything in, equal to the full
reference.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

import samplegen
import tests.reference.reference_metrics as ref
from tests.bigquery.test_bigquery_end_to_end import LOAD_GA4, BigQueryPipeline, _differences, _frame_rows
from tests.support.bigquery_emulator import Emulator
from tests.support.pipeline_runs import MART_KEYS, Workspace, explain, step

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

MEMBERSHIP_MARTS = ["fct_kpis_weekly", "fct_kpis_monthly", "fct_retention_cohorts_monthly",
                    "fct_mrr_monthly", "fct_member_mrr_monthly"]
GA4_DATASET = "analytics_ga4_optional"


def _client(emulator: Emulator) -> bigquery.Client:
    return bigquery.Client(project=emulator.project, credentials=AnonymousCredentials(),
                           client_options={"api_endpoint": emulator.endpoint})


def _marts(pipeline: BigQueryPipeline, names: list[str]) -> dict[str, list[dict]]:
    client = _client(pipeline.emulator)
    dataset = pipeline.env["BQ_DATASET"]
    try:
        return {name: [dict(row.items()) for row in client.query(
            f"select * from `{client.project}.{dataset}.{name}` order by {', '.join(MART_KEYS[name])}"
        ).result()] for name in names}
    finally:
        client.close()


def _tables(pipeline: BigQueryPipeline) -> set[str]:
    client = _client(pipeline.emulator)
    try:
        return {t.table_id for t in client.list_tables(f"{client.project}.{pipeline.env['BQ_DATASET']}")}
    finally:
        client.close()


def test_bigquery_without_ga4_then_with_it(bigquery_emulator: Emulator, tmp_path: Path) -> None:  # noqa: F811
    data = tmp_path / "data"
    samplegen.generate(data, members=1500, days=30, start=dt.date(2025, 1, 20), seed=11, messy=True)
    ws = Workspace(root=tmp_path, membership_dir=data / "membership", ga4_dir=data / "ga4")
    pipeline = BigQueryPipeline(bigquery_emulator, ws, "ga4opt")
    client = _client(bigquery_emulator)
    try:
        client.create_dataset(f"{client.project}.{GA4_DATASET}", exists_ok=True)  # empty
    finally:
        client.close()
    ga4_vars = f"{{ga4_dataset: {GA4_DATASET}}}"

    first = pipeline.orchestrate("--vars", ga4_vars)
    assert first.returncode == 0, explain(first)
    assert f"GA4: not configured: no events_YYYYMMDD table in {bigquery_emulator.project}.{GA4_DATASET}" \
        in first.stdout, first.stdout
    build = step(ws.summary(), "dbt_build")["details"]
    assert build["ga4"]["configured"] is False
    # (messy data warns of its invalid lifecycles by design)
    assert [p["name"] for p in build["problems"]] == ["warn_invalid_member_lifecycles"], build["problems"]
    assert build["skipped"] == [], build["skipped"]
    tables = _tables(pipeline)
    assert set(MEMBERSHIP_MARTS) | {"dim_members"} <= tables
    assert "base_ga4__events" not in tables and "fct_ga4__active_users_daily" not in tables
    expected = _frame_rows(ref.compute_membership_only(ws.membership_dir))
    got = _marts(pipeline, MEMBERSHIP_MARTS)
    problems = [p for name in MEMBERSHIP_MARTS
                for p in _differences(name, got[name], expected[name], "reference without GA4")]
    assert not problems, "\n".join(problems[:40])

    load = subprocess.run([sys.executable, str(LOAD_GA4), str(ws.ga4_dir), "--target", "bigquery",
                           "--dataset", GA4_DATASET], env=pipeline.env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert load.returncode == 0, explain(load)
    second = pipeline.orchestrate("--vars", ga4_vars)
    assert second.returncode == 0, explain(second)
    assert "GA4: not configured" not in second.stdout
    assert step(ws.summary(), "dbt_build")["details"]["ga4"]["configured"] is True
    expected = _frame_rows(ref.compute_all(ws.membership_dir, ws.ga4_dir))
    got = _marts(pipeline, list(MART_KEYS))
    problems = [p for name in MART_KEYS for p in _differences(name, got[name], expected[name], "reference")]
    assert not problems, "\n".join(problems[:40])
