"""Every BigQuery job of a dbt build, counted by node, and the bytes budget, on the local API.

What the local BigQuery API (bqemulator 1.4.0) allows, each checked below so that a
change of the emulator shows up here:

- jobs.list returns the project's jobs with their query text and statistics: the
  run's jobs and their nodes are found from the query comment, as on BigQuery;
- every job reports totalBytesProcessed 0 and no totalBytesBilled, dry runs too;
- it keeps no job labels and no maximumBytesBilled, and does not enforce the cap
  (so the cap is checked where dbt-bigquery takes it from: its profile's value);
- `region-us`.INFORMATION_SCHEMA.JOBS_BY_PROJECT does not exist.

So the byte figures are 0 here (tests/test_bigquery_job_bytes.py checks the sums and
the budget's threshold on jobs shaped as BigQuery reports them), while what can be
checked is checked on real runs of the orchestrator's dbt step: every job dbt
issued is listed and attributed to its node, more jobs than run_results shows (an
incremental model's look-up, temporary table and merge), each carrying the comment
that dbt-bigquery turns into the job's labels; and a budget of 0 bytes stops dbt
once its first node's jobs are listed (the nodes dbt ran while they were listed
may finish), before the build ends, with the message the run fails with.

What a daily run's look-ups of the latest day cost is checked in their SQL (the API
bills nothing here): each `max()` the incremental run issued, the model's and its data
tests', is bounded by a literal date a month before the export's newest daily table,
which BigQuery prunes partitions on, and only a table more than that behind the
export is looked up whole.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import samplegen
from pipeline import dbt as pipeline_dbt
from pipeline import steps
from pipeline.bigquery_jobs import invocation_jobs, job_comment
from pipeline.dbt_vars import declared_vars
from pipeline.runner import StepFailed
from pipeline.settings import DBT_PROJECT_DIR, Settings, resolve
from tests.support.bigquery_emulator import Emulator, emulator_env

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LOAD_GA4 = ROOT / "scripts" / "load_ga4_sample.py"
DBT = Path(sys.executable).parent / "dbt"
START = dt.date(2025, 1, 1)
DAYS = 8
FIRST_RUN_DAYS = 6
GA4_DATASET = "analytics_jobs"
MODEL = "base_ga4__events"
MODEL_ID = f"model.membership_analytics.{MODEL}"
AHEAD_DATASET = "analytics_jobs_ahead"
# The GA4 models that read no membership table, in build order (the session models
# after the per-day ones), with the seed the sessions' channel groups read: some 100
# nodes, data tests between the models, for the budget's stop to cut short.
GA4_ONLY_MODELS = ("base_ga4__events", "stg_ga4__events", "int_ga4_user_days_aggregated",
                   "int_ga4_user_id_days_aggregated", "int_ga4_user_ids_mapped", "int_ga4_days_aggregated",
                   "fct_ga4__export_days", "fct_ga4__active_users_daily",
                   "int_ga4_sessions_touched", "int_ga4_sessions_attributed", "int_ga4_traffic_sources_classified",
                   "fct_ga4__sessions", "fct_ga4__sessions_daily")
GA4_ONLY_SELECTION = "+fct_ga4__active_users_daily +fct_ga4__sessions_daily +int_ga4_user_ids_mapped"
REACH_DAYS = 31  # ga4_latest_date_reach() (macros/cross_db/ga4_latest_date.sql)
RECENT_DAYS = re.compile(r"where event_date >= cast\('\d{4}-\d{2}-\d{2}' as date\)\)\s*dbt_subquery")
BOUNDED_LOOK_UP = re.compile(r"select max\((\w+)\) from \S+\s+where \1 >= cast\('(\d{4}-\d{2}-\d{2})' as date\)")


class Builds:
    """base_ga4__events and its tests, built by the orchestrator's dbt step."""

    def __init__(self, emulator: Emulator, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        samplegen.generate(self.data, members=200, days=DAYS, start=START, seed=5)
        self.ga4 = root / "ga4"
        self.ga4.mkdir()
        self.env = emulator_env(emulator, BQ_DATASET="job_accounting", RAW_SCHEMA="raw_job_accounting",
                                BQ_THREADS="1", DBT_TARGET="bigquery")

    def land(self, days: int) -> None:
        for n in range(days):
            name = f"events_{START + dt.timedelta(days=n):%Y%m%d}.parquet"
            if not (self.ga4 / name).exists():
                shutil.copy(self.data / "ga4" / name, self.ga4 / name)
        run = subprocess.run([sys.executable, str(LOAD_GA4), str(self.ga4), "--target", "bigquery",
                              "--dataset", GA4_DATASET],
                             env=self.env, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr[-3000:]

    def settings(self, label: str, select: str = MODEL, dataset: str = "job_accounting", **given: Any) -> Settings:
        env = {**self.env, "BQ_DATASET": dataset, "DBT_TARGET_PATH": str(self.root / label / "target"),
               # Only the tests of selected models: none of the membership models is built here.
               "DBT_INDIRECT_SELECTION": "cautious"}
        return resolve("bigquery", {"ga4_dataset": GA4_DATASET, **given}, declared_vars(DBT_PROJECT_DIR),
                       environ=env, select=select, summary_file=self.root / label / "run_summary.json")


@pytest.fixture(scope="module")
def builds(bigquery_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    with pytest.MonkeyPatch.context() as patch:
        # The GA4 source check and the job listing build their client from our environment.
        for name, value in emulator_env(bigquery_emulator).items():
            patch.setenv(name, value)
        yield Builds(bigquery_emulator, tmp_path_factory.mktemp("bq_jobs"))


@pytest.fixture(scope="module")
def runs(builds: Builds) -> dict[str, dict[str, Any]]:
    builds.land(FIRST_RUN_DAYS)
    first = steps.dbt_build(builds.settings("first"))
    builds.land(DAYS)
    incremental = steps.dbt_build(builds.settings("incremental"))
    return {"first": first, "incremental": incremental}


def _main_statement_jobs(label: str, builds: Builds) -> dict[str, str]:
    """unique_id -> job id of each node's main statement, from run_results.json."""
    results = json.loads((builds.root / label / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["adapter_response"]["job_id"] for r in results
            if (r.get("adapter_response") or {}).get("job_id")}


def _jobs(label: str, builds: Builds) -> list[Any]:
    from loader.sinks.bigquery_client import bigquery_client

    run_results = json.loads((builds.root / label / "target" / "run_results.json").read_text())
    client = bigquery_client()
    try:
        return invocation_jobs(client, run_results["metadata"]["invocation_id"],
                               dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    finally:
        client.close()


def test_a_spent_budget_stops_dbt_before_the_build_ends(builds: Builds) -> None:
    # The stop comes once the run has listed its jobs, and the local API is slow to list
    # them (it ignores min_creation_time and lists every job it holds), more so on a
    # busy machine: a short build can end before the listing does, with nothing left to
    # stop (a CI run saw 51 nodes finish first). Hence the test runs first in the module,
    # with the fewest jobs to list, and builds every GA4-only model (about 100 nodes).
    # Its tables go to a dataset of their own: the first build of `runs` must be a first.
    builds.land(FIRST_RUN_DAYS)
    settings = builds.settings("budget", select=GA4_ONLY_SELECTION, dataset="job_accounting_budget",
                               bigquery_bytes_budget=0)
    with pytest.raises(StepFailed) as failed:
        steps.dbt_build(settings)
    assert not failed.value.transient
    message = str(failed.value)
    assert "BigQuery bytes budget spent" in message and "bigquery_bytes_budget" in message, message
    log = (settings.log_dir / "dbt_build.log").read_text()
    assert "[dbt stopped by orchestrate.py: BigQuery bytes budget spent" in log
    # dbt goes on while the jobs are listed, so the nodes it started meanwhile may finish
    # (bytes_budget.py); what the stop guarantees is that the build does not run to its end.
    assert f"OK created sql incremental model job_accounting_budget.{MODEL}" in log, log[-3000:]
    created = [m for m in GA4_ONLY_MODELS
               if re.search(rf"OK created \S+ \S+ model job_accounting_budget\.{m}\b", log)]
    assert len(created) < len(GA4_ONLY_MODELS), (created, log[-3000:])


def test_every_job_of_the_build_is_counted_under_its_node(runs: dict[str, dict[str, Any]],
                                                         builds: Builds) -> None:
    for label, details in runs.items():
        summary = details["bytes"]
        jobs = _jobs(label, builds)
        assert summary["source"] == "jobs", label
        assert summary["jobs"] == len(jobs) > 0, label
        main = _main_statement_jobs(label, builds)
        listed = {job.job_id: job for job in jobs}
        # Every node's main statement is among the listed jobs, under that node.
        assert set(main.values()) <= set(listed), label
        assert all(listed[job_id].node_id == unique_id for unique_id, job_id in main.items()), label
        assert summary["by_model"][MODEL]["jobs"] >= 1, (label, summary["by_model"])
        assert summary["by_kind"]["data_tests"]["jobs"] >= details["counts"]["data_tests"]["pass"], label
        # The local API bills nothing: 0 processed, no billed figure.
        assert summary["processed"] == 0 and summary["billed"] is None, label


def test_an_incremental_run_counts_the_look_up_the_temporary_table_and_the_merge(
        runs: dict[str, dict[str, Any]], builds: Builds) -> None:
    jobs = [job for job in _jobs("incremental", builds) if job.node_id == MODEL_ID]
    queries = [_query(builds, job.job_id).lower() for job in jobs]
    assert any("merge" in q for q in queries), "no merge job"
    # Three look-ups of the latest day a run (the window twice, the replaced partitions
    # once): what benchmarks/bigquery_bytes.py counts (LOOKUPS_PER_RUN).
    assert sum("max(" in q and "merge" not in q for q in queries) == 3, queries


def test_the_daily_runs_look_ups_read_the_last_month_not_the_history(
        runs: dict[str, dict[str, Any]], builds: Builds) -> None:
    # BigQuery bills a look-up by the partitions it scans, so every `max()` of the run,
    # the model's and its data tests', is bounded by a literal date BigQuery prunes on:
    # ga4_latest_date_reach() days before the export's newest daily table.
    bound = START + dt.timedelta(days=DAYS - 1) - dt.timedelta(days=REACH_DAYS)
    queries = [(job.node_id or "", _query(builds, job.job_id).lower()) for job in _jobs("incremental", builds)]
    look_ups = [(node, q) for node, q in queries if "select max(" in q and "merge" not in q]
    assert {node for node, _ in look_ups} >= {MODEL_ID}, look_ups
    assert any(node.startswith("test.") for node, _ in look_ups), "no data test looked its window up"
    for node, query in look_ups:
        found = BOUNDED_LOOK_UP.search(query)
        assert found and found.group(2) == bound.isoformat(), (node, query)
    # A data test reads its recent days (get_where_subquery's `dbt_subquery`) through
    # a literal date, not through a subquery of the whole table.
    tests = [q for node, q in queries if node.startswith("test.") and "dbt_subquery" in q]
    assert tests, "no data test read its recent days"
    for query in tests:
        assert "select max(" not in query and RECENT_DAYS.search(query), query


def test_a_table_a_month_behind_the_export_falls_back_to_the_whole_column(runs: dict[str, dict[str, Any]],
                                                                           builds: Builds, client: Any) -> None:
    from google.cloud import bigquery

    latest = START + dt.timedelta(days=DAYS - 1)
    # An export whose newest daily table is 40 days after the model's latest day.
    ahead = latest + dt.timedelta(days=40)
    client.create_dataset(AHEAD_DATASET, exists_ok=True)
    client.create_table(bigquery.Table(f"{client.project}.{AHEAD_DATASET}.events_{ahead:%Y%m%d}",
                                       schema=[bigquery.SchemaField("event_date", "STRING")]), exists_ok=True)
    for dataset, expected in ((GA4_DATASET, [True]), (AHEAD_DATASET, [False, True])):
        label = f"look_up_{dataset}"
        compiled = _compile_inline(builds, label, "{{ ga4_latest_date(ref('base_ga4__events'), 'event_date') }}",
                                   ga4_dataset=dataset)
        assert compiled == latest.isoformat(), dataset
        look_ups = [_query(builds, job.job_id).lower() for job in _jobs(label, builds)]
        look_ups = [q for q in look_ups if "select max(" in q]
        # The bounded look-up; only when it finds nothing, the whole column as well.
        assert sorted(bool(BOUNDED_LOOK_UP.search(q)) for q in look_ups) == expected, (dataset, look_ups)


def _compile_inline(builds: Builds, label: str, sql: str, **given: Any) -> str:
    """What `dbt compile --inline` renders `sql` to (its jobs: `_jobs(label, builds)`)."""
    settings = builds.settings(label, **given)
    target = builds.root / label / "target"
    vars_text = json.dumps({"ga4_dataset": GA4_DATASET, **given})
    compiled = subprocess.run(
        [str(DBT), "compile", "--inline", sql, "--quiet", "--vars", vars_text,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(builds.root / label / "logs")],
        cwd=DBT_PROJECT_DIR, env=pipeline_dbt.child_environment(settings), capture_output=True, text=True,
        timeout=300, check=False)
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    return compiled.stdout.strip().splitlines()[-1].strip()


def test_every_job_carries_the_comment_that_becomes_its_labels(runs: dict[str, dict[str, Any]],
                                                              builds: Builds) -> None:
    from dbt.adapters.bigquery.connections import BigQueryConnectionManager

    for label in runs:
        for job in _jobs(label, builds):
            comment = job_comment(_query(builds, job.job_id))
            # With job-label: true dbt-bigquery labels the job from this comment.
            labels = BigQueryConnectionManager._labels_from_query_comment(None, json.dumps(comment))  # type: ignore[arg-type]
            assert labels["invocation_id"] == comment["invocation_id"]
            if job.node_id:
                assert labels["node_id"] == job.node_id.replace(".", "_").lower()[:63]


@pytest.mark.parametrize(("budget", "configured", "cap"), [
    (None, None, 50_000_000_000),  # the profile's default
    (1234, None, 1234),
    (1234, "99", 99),
    (0, "99", 99),  # a budget of 0 caps no job: the run-level check stops that run
])
def test_each_job_is_capped_at_the_smaller_of_its_cap_and_the_budget(
        builds: Builds, budget: int | None, configured: str | None, cap: int) -> None:
    settings = builds.settings("cap", bigquery_bytes_budget=budget)
    env = pipeline_dbt.child_environment(settings)
    env.pop("BQ_MAXIMUM_BYTES_BILLED", None)
    if configured is not None:
        env["BQ_MAXIMUM_BYTES_BILLED"] = configured
    # dbt-bigquery sends its profile's maximum_bytes_billed with every job it runs.
    compiled = subprocess.run(
        [str(DBT), "compile", "--inline", "select {{ target.maximum_bytes_billed }} as cap", "--quiet",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(builds.root / "cap" / "target"), "--log-path", str(builds.root / "cap" / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert compiled.returncode == 0, compiled.stdout[-3000:] + compiled.stderr[-3000:]
    assert compiled.stdout.strip().splitlines()[-1] == f"select {cap} as cap"


def _query(builds: Builds, job_id: str) -> str:
    from loader.sinks.bigquery_client import bigquery_client

    client = bigquery_client()
    try:
        return str(client.get_job(job_id).query)
    finally:
        client.close()


# ------------------------------------------------------------ what the local API allows


@pytest.fixture()
def client(bigquery_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in emulator_env(bigquery_emulator).items():
        monkeypatch.setenv(name, value)
    from loader.sinks.bigquery_client import bigquery_client

    bq = bigquery_client()
    yield bq
    bq.close()


def test_the_local_api_reports_no_bytes_keeps_no_labels_and_enforces_no_cap(client: Any) -> None:
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(labels={"dbt_invocation_id": "probe"}, maximum_bytes_billed=1)
    job = client.query("select x from unnest(generate_array(1, 1000)) as x", job_config=config)
    assert len(list(job.result())) == 1000  # a 1-byte cap is not enforced
    assert job.total_bytes_processed == 0 and job.total_bytes_billed is None
    listed = client.get_job(job.job_id)
    assert listed.labels == {} and listed.maximum_bytes_billed is None
    dry = client.query("select 1 as x", job_config=bigquery.QueryJobConfig(dry_run=True))
    assert dry.total_bytes_processed == 0


def test_the_local_api_has_no_information_schema_jobs(client: Any) -> None:
    from google.api_core import exceptions

    with pytest.raises(exceptions.BadRequest):
        list(client.query("select count(*) from `region-us`.INFORMATION_SCHEMA.JOBS_BY_PROJECT").result())
