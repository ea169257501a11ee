"""The whole pipeline on the BigQuery target, against the local BigQuery API.

One generated (messy) data set, small enough for a few minutes on two cores. The raw
membership table is loaded by `python orchestrate.py --target bigquery` itself (the
loader's BigQuery sink), the GA4 shards by scripts/load_ga4_sample.py (in production
GA4 writes them). Every model builds and every test passes, and each mart equals,
row by row and figure by figure, the DuckDB target's mart built from the same files,
and the first run's report page (--report) shows the same numbers as the DuckDB one.
Then one more GA4 day lands: the incremental BigQuery run equals a DuckDB build from
scratch and a BigQuery --full-refresh. Last, `dbt docs generate` on the BigQuery
target (--empty-catalog: the local API has no __TABLES__ view). One more data set
stands alone: a 2020-style GA4 export running past the newest membership export (null
membership and revenue figures past its as-of date on both targets).

Each build on the local API costs minutes of CPU, so the module builds each data set
once and the tests that only read a build share it (module fixtures): the first run's
DuckDB twin serves the mart and the report comparisons, and one build of the 2020-style
export serves both of its tests.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

import samplegen
from tests.support.bigquery_emulator import Emulator, emulator_env
from tests.support.dbt_selection import MODELS_AND_SEEDS, NO_DATA_TESTS
from tests.support.pipeline_runs import MART_KEYS, ROOT, Workspace, explain, step

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

MEMBERS_PER_YEAR = 1500
DAYS = 31  # the first runs see days 1-30; day 31 is the "one more day"
START = dt.date(2025, 1, 20)
SEED = 7
RATE_TOLERANCE = 1e-9
DBT = Path(sys.executable).parent / "dbt"
LOAD_GA4 = ROOT / "scripts" / "load_ga4_sample.py"


def _plain(value: Any) -> Any:
    """A cell as a plain Python value, whichever client returned it."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) and value.tzinfo is None else value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def _same(got: Any, want: Any) -> bool:
    got, want = _plain(got), _plain(want)
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want or got == want and type(got) is type(want)
    if isinstance(got, float) or isinstance(want, float):
        return math.isclose(float(got), float(want), rel_tol=RATE_TOLERANCE, abs_tol=RATE_TOLERANCE)
    return bool(got == want)


def _differences(name: str, got_rows: list[dict], want_rows: list[dict], label: str) -> list[str]:
    keys = MART_KEYS[name]
    if not want_rows:
        return [f"{name}: the reference ({label}) is empty: the test data is too small"]
    got_columns, want_columns = set(got_rows[0]) if got_rows else set(), set(want_rows[0])
    if got_rows and got_columns != want_columns:
        return [f"{name}: columns differ: BigQuery only {sorted(got_columns - want_columns)}, "
                f"{label} only {sorted(want_columns - got_columns)}"]
    got = {tuple(_plain(r[k]) for k in keys): r for r in got_rows}
    want = {tuple(_plain(r[k]) for k in keys): r for r in want_rows}
    problems = [f"{name} {k}: row only in {label}" for k in sorted(set(want) - set(got), key=str)]
    problems += [f"{name} {k}: row only in BigQuery" for k in sorted(set(got) - set(want), key=str)]
    for key in sorted(set(got) & set(want), key=str):
        for column in sorted(want_columns):
            if not _same(got[key][column], want[key][column]):
                problems.append(f"{name} {key} {column}: BigQuery {_plain(got[key][column])!r}, "
                                f"{label} {_plain(want[key][column])!r}")
    return problems


def _assert_same_marts(got: dict[str, list[dict]], want: dict[str, list[dict]], label: str) -> None:
    problems: list[str] = []
    for name in MART_KEYS:
        problems += _differences(name, got[name], want[name], label)
    shown = "\n".join(problems[:40])
    assert not problems, f"{len(problems)} difference(s) between BigQuery and {label}:\n{shown}"


def _frame_rows(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict]]:
    return {name: frame.to_dict("records") for name, frame in frames.items()}


class BigQueryPipeline:
    """One BigQuery project on the local API: raw and mart datasets, GA4 shards."""

    def __init__(self, emulator: Emulator, workspace: Workspace, suffix: str) -> None:
        self.emulator = emulator
        self.workspace = workspace
        self.env = emulator_env(
            emulator,
            BQ_DATASET=f"marts_{suffix}",
            RAW_SCHEMA=f"raw_{suffix}",
            BQ_THREADS="2",
        )

    def load_ga4(self, *args: str) -> None:
        run = subprocess.run(
            [sys.executable, str(LOAD_GA4), str(self.workspace.ga4_dir), "--target", "bigquery", *args],
            env=self.env, capture_output=True, text=True, timeout=300, check=False,
        )
        assert run.returncode == 0, explain(run)

    def orchestrate(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.workspace.run("--target", "bigquery", *args, timeout=600, **self._extra_env(), **env)

    def _extra_env(self) -> dict[str, str]:
        # RAW_SCHEMA too: each pipeline of the module loads its own raw dataset.
        return {k: v for k, v in self.env.items()
                if k.startswith(("BQ_", "GOOGLE_", "BIGQUERY_")) or k == "RAW_SCHEMA"}

    def marts(self) -> dict[str, list[dict]]:
        client = bigquery.Client(
            project=self.emulator.project, credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.emulator.endpoint},
        )
        dataset = self.env["BQ_DATASET"]
        try:
            return {
                name: [dict(row.items()) for row in client.query(
                    f"select * from `{client.project}.{dataset}.{name}` order by {', '.join(keys)}"
                ).result()]
                for name, keys in MART_KEYS.items()
            }
        finally:
            client.close()

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        target = self.workspace.root / "dbt_cli"
        return subprocess.run(
            [str(DBT), *args, "--target", "bigquery", "--project-dir", str(ROOT / "dbt_project"),
             "--profiles-dir", str(ROOT / "dbt_project"), "--target-path", str(target / "target"),
             "--log-path", str(target / "logs")],
            cwd=ROOT / "dbt_project", env={**self.env, "DBT_TARGET": "bigquery"},
            capture_output=True, text=True, timeout=600, check=False,
        )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated files: membership exports, and the GA4 shards of all DAYS days."""
    out = tmp_path_factory.mktemp("bq_e2e_data")
    samplegen.generate(out, members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=SEED,
                       messy=True)
    return out


def _workspace(root: Path, data: Path, ga4_days: int) -> Workspace:
    """A workspace seeing every membership export and the first `ga4_days` GA4 shards."""
    ga4 = root / "ga4"
    ga4.mkdir(parents=True, exist_ok=True)
    for n in range(ga4_days):
        name = f"events_{START + dt.timedelta(days=n):%Y%m%d}.parquet"
        if (data / "ga4" / name).exists():  # --messy leaves one day unexported
            shutil.copy(data / "ga4" / name, ga4 / name)
    return Workspace(root=root, membership_dir=data / "membership", ga4_dir=ga4)


@pytest.fixture(scope="module")
def duckdb_first(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The DuckDB build of the first BigQuery run's files, with its report page
    (report.html in its root): what the first run's marts and page are compared with."""
    ws = _workspace(tmp_path_factory.mktemp("bq_e2e_duck"), data, DAYS - 1)
    run = ws.run("--target", "duckdb", "--report", "--report-path", str(ws.root / "report.html"), timeout=600)
    assert run.returncode == 0, explain(run)
    return ws


@pytest.fixture(scope="module")
def bq_pipeline(bigquery_emulator: Emulator, data: Path,
             tmp_path_factory: pytest.TempPathFactory) -> BigQueryPipeline:
    """The BigQuery pipeline after its first run (GA4 days 1 to DAYS - 1)."""
    pipeline = BigQueryPipeline(
        bigquery_emulator, _workspace(tmp_path_factory.mktemp("bq_e2e"), data, DAYS - 1), "e2e"
    )
    pipeline.load_ga4()
    first = pipeline.orchestrate("--report", "--report-path", str(pipeline.workspace.root / "report.html"))
    assert first.returncode == 0, explain(first)
    return pipeline


def test_first_bigquery_run_builds_everything_and_equals_duckdb(
    bq_pipeline: BigQueryPipeline, duckdb_first: Workspace, data: Path
) -> None:
    summary = bq_pipeline.workspace.summary()
    assert summary["status"] == "success", summary
    load = step(summary, "load")["details"]
    assert load["objects_loaded"] == len(list(data.glob("membership/*.csv"))) >= 2
    build = step(summary, "dbt_build")["details"]
    assert build["counts"]["models"]["success"] >= 10 and set(build["counts"]["models"]) == {"success"}
    assert build["counts"]["data_tests"]["pass"] > 50 and "fail" not in build["counts"]["data_tests"]

    _assert_same_marts(bq_pipeline.marts(), _frame_rows(duckdb_first.marts()), "DuckDB (same files)")


def test_the_report_on_bigquery_shows_the_same_numbers_as_on_duckdb(
    bq_pipeline: BigQueryPipeline, duckdb_first: Workspace
) -> None:
    """Runs before the next test adds a day: the page is the first run's."""
    from tests.support.report_page import chart_specs, latest_table, row_differences

    assert step(bq_pipeline.workspace.summary(), "report")["status"] == "success"
    bq_page, duck_page = bq_pipeline.workspace.root / "report.html", duckdb_first.root / "report.html"
    assert "Target <b>bigquery</b>" in bq_page.read_text(encoding="utf-8")
    assert step(duckdb_first.summary(), "report")["status"] == "success"
    bq_specs, duck_specs = chart_specs(bq_page), chart_specs(duck_page)
    assert set(bq_specs) == set(duck_specs) and len(bq_specs) >= 4
    problems: list[str] = []
    for chart, spec in duck_specs.items():
        rows = spec["datasets"]["mart"]
        problems += row_differences(chart, bq_specs[chart]["datasets"]["mart"], rows, list(rows[0]))
    bq_table, duck_table = latest_table(bq_page), latest_table(duck_page)
    problems += row_differences("latest periods", [c for r in bq_table["rows"] for c in r["cells"]],
                                [c for r in duck_table["rows"] for c in r["cells"]],
                                ["mart", "column", "start", "value", "previous"])
    assert not problems, "\n".join(problems[:30])


def test_incremental_run_after_one_more_day_equals_a_full_refresh(
    bq_pipeline: BigQueryPipeline, data: Path, tmp_path: Path
) -> None:
    """The incremental run runs every data test. The two builds it is compared with
    build models and seeds alone: their data tests would re-check what the first run's
    tests (on both targets, on 30 of these 31 days) and this run's already check."""
    _workspace(bq_pipeline.workspace.root, data, DAYS)  # day DAYS lands
    bq_pipeline.load_ga4()
    second = bq_pipeline.orchestrate()
    assert second.returncode == 0, explain(second)
    load = step(bq_pipeline.workspace.summary(), "load")["details"]
    assert load["objects_loaded"] == 0  # nothing new in the membership exports
    data_tests = step(bq_pipeline.workspace.summary(), "dbt_build")["details"]["counts"]["data_tests"]
    assert data_tests.get("pass", 0) > 50 and "fail" not in data_tests, data_tests
    incremental = bq_pipeline.marts()
    last_day = START + dt.timedelta(days=DAYS - 1)
    assert max(_plain(r["event_date"]) for r in incremental["fct_ga4__active_users_daily"]) == last_day

    scratch = _workspace(tmp_path, data, DAYS)
    run = scratch.run("--target", "duckdb", *MODELS_AND_SEEDS, timeout=600, **NO_DATA_TESTS)
    assert run.returncode == 0, explain(run)
    _assert_same_marts(incremental, _frame_rows(scratch.marts()), "DuckDB built from scratch")

    full = bq_pipeline.orchestrate("--full-refresh", "--skip-load", *MODELS_AND_SEEDS, **NO_DATA_TESTS)
    assert full.returncode == 0, explain(full)
    rebuilt = step(bq_pipeline.workspace.summary(), "dbt_build")["details"]["counts"]
    assert set(rebuilt["models"]) == {"success"} and rebuilt["models"]["success"] >= 10, rebuilt
    _assert_same_marts(incremental, bq_pipeline.marts(), "BigQuery --full-refresh")


def test_docs_generate_on_the_bigquery_target(bq_pipeline: BigQueryPipeline) -> None:
    run = bq_pipeline.dbt("docs", "generate", "--empty-catalog")
    assert run.returncode == 0, explain(run)
    target = bq_pipeline.workspace.root / "dbt_cli" / "target"
    assert (target / "manifest.json").is_file() and (target / "catalog.json").is_file()
    assert (target / "index.html").is_file()


@pytest.fixture(scope="module")
def old_export_behind(bigquery_emulator: Emulator,
                      tmp_path_factory: pytest.TempPathFactory) -> tuple[BigQueryPipeline, Workspace]:
    """A 2020-style GA4 export running two weeks past the newest membership export,
    built by orchestrate.py on BigQuery and on DuckDB. The two shapes are independent
    (one is in the GA4 shards' columns, the other in which membership export is newest),
    so one data set, built once on each target, checks both (the two tests below).

    The GA4 shards go into a dataset of their own: the module's first pipeline loads
    other days into the default one."""
    root = tmp_path_factory.mktemp("bq_e2e_2020_behind")
    samplegen.generate(root / "data", members=MEMBERS_PER_YEAR, days=40, start=dt.date(2025, 1, 1),
                       seed=SEED, ga4_schema="2020")
    exports = sorted((root / "data" / "membership").glob("members_*.csv"))
    assert [p.name for p in exports] == ["members_20250131.csv", "members_20250209.csv"]
    exports[-1].unlink()
    ws = Workspace(root=root / "bq", membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    duck = Workspace(root=root / "duck", membership_dir=ws.membership_dir, ga4_dir=ws.ga4_dir)
    for folder in (ws.root, duck.root):
        folder.mkdir()
    ga4_dataset = "analytics_2020_behind"
    pipeline = BigQueryPipeline(bigquery_emulator, ws, "v2020_behind")
    pipeline.load_ga4("--dataset", ga4_dataset)
    run = pipeline.orchestrate("--vars", f"{{ga4_dataset: {ga4_dataset}}}")
    assert run.returncode == 0, explain(run)
    local = duck.run("--target", "duckdb", timeout=600)
    assert local.returncode == 0, explain(local)
    return pipeline, duck


def test_a_2020_export_without_the_later_columns_builds_and_equals_duckdb(
    old_export_behind: tuple[BigQueryPipeline, Workspace]
) -> None:
    """No shard has is_active_user, collected_traffic_source or the last-click column
    (Google's public 2020 sample, a backfill of a property's early days): the wildcard's
    columns are read at run time and the missing ones become typed nulls. The build
    passes with its data tests, and the same files on DuckDB (compared with the
    reference in the next test) give the same marts."""
    pipeline, duck = old_export_behind
    shards = sorted(duck.ga4_dir.glob("events_*.parquet"))
    assert len(shards) == 40
    later = {"is_active_user", "collected_traffic_source", "session_traffic_source_last_click"}
    assert not later & set(pq.read_schema(shards[-1]).names), "the shards are not 2020-style"
    build = step(pipeline.workspace.summary(), "dbt_build")["details"]
    assert build["counts"]["models"]["success"] >= 10 and set(build["counts"]["models"]) == {"success"}
    assert build["counts"]["data_tests"]["pass"] > 50 and "fail" not in build["counts"]["data_tests"]
    _assert_same_marts(pipeline.marts(), _frame_rows(duck.marts()), "DuckDB (same 2020 files)")


def test_membership_behind_ga4_builds_and_equals_duckdb(
    old_export_behind: tuple[BigQueryPipeline, Workspace]
) -> None:
    """GA4 two weeks past the newest membership export (the usual state with monthly
    exports): February starts after the membership as-of date (01-31), so its
    membership and revenue figures are null and the member, plan and cohort marts stop
    at January. The build passes with its data tests on BigQuery, every mart equals the
    DuckDB build of the same files, and that equals the reference."""
    from tests.support.reference_comparison import assert_marts_match_reference

    pipeline, duck = old_export_behind
    assert [p.name for p in duck.membership_dir.glob("members_*.csv")] == ["members_20250131.csv"]
    assert_marts_match_reference(duck)

    marts = pipeline.marts()
    february = [row for row in marts["fct_mrr_monthly"] if _plain(row["month_start"]) == dt.date(2025, 2, 1)]
    assert february and february[0]["mrr_end"] is None and february[0]["paying_members_end"] is None
    assert {_plain(r["month_start"]) for r in marts["fct_member_mrr_monthly"]} == {dt.date(2025, 1, 1)}
    _assert_same_marts(marts, _frame_rows(duck.marts()), "DuckDB (same files, GA4 ahead)")
