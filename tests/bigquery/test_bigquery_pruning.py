"""On BigQuery, a daily GA4 run reads the lookback window, not the whole history.

BigQuery prunes shards and partitions only on constants: a `_TABLE_SUFFIX` range of
literals for the export's `events_*` wildcard, literal dates for the partitions an
insert_overwrite merge replaces. A subquery such as `(select max(event_date) from
this)` in either place prunes nothing, so the run's cost would grow with the whole
history. The GA4 models run three times on the local BigQuery API (first run,
incremental run after three more days, a two-day backfill), and the SQL dbt executed
(target/compiled: the model's query; target/run: the merge) is read back:

- every read of the export has literal 'YYYYMMDD' bounds: all shards on the first
  run, from the lookback's first day on the incremental run, exactly the backfill's
  days on the backfill;
- every incremental model's merge replaces a literal list of dates, exactly the
  window's days that the table already held, with no `select max(` in it.

The run's run_results.json is also summarized as the run summary does: the local
API reports bytes_processed 0 and no bytes_billed, so the figures are 0 and None
here (tests/pipeline/test_dbt_bytes.py checks the sums on dbt-bigquery's documented shape).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import samplegen
from pipeline import dbt as pipeline_dbt
from tests.support.bigquery_emulator import Emulator, emulator_env

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
LOAD_GA4 = ROOT / "scripts" / "load_ga4_sample.py"
START = dt.date(2025, 1, 1)
DAYS = 30
FIRST_RUN_DAYS = 27  # shards from day 26 on carry session_traffic_source_last_click
LOOKBACK_DAYS = 3  # the ga4_lookback_days default
BACKFILL = (dt.date(2025, 1, 3), dt.date(2025, 1, 4))
SELECTOR = "+fct_ga4__active_users_daily +fct_ga4__sessions_daily"
INCREMENTAL_MODELS = {
    "base_ga4__events": "staging/base",
    "int_ga4_user_days_aggregated": "intermediate",
    "int_ga4_sessions_touched": "intermediate",
    "int_ga4_sessions_attributed": "intermediate",
    "int_ga4_traffic_sources_classified": "intermediate",
    "fct_ga4__sessions": "marts",
    "fct_ga4__sessions_daily": "marts",
}
# Dated by their first event: a range starts a day early on them (a session begun
# before midnight has events on the range's first day).
SESSION_DATED = {"int_ga4_sessions_touched", "int_ga4_sessions_attributed", "int_ga4_traffic_sources_classified",
                 "fct_ga4__sessions", "fct_ga4__sessions_daily"}
SUFFIX_RANGE = re.compile(r"_table_suffix\s+between\s+'(\d{8})'\s+and\s+'(\d{8})'", re.IGNORECASE)
WILDCARD = re.compile(r"`events_\*`", re.IGNORECASE)
REPLACED = re.compile(r"when not matched by source\s+and\s+date\([^)]*\)\s+in\s+\((.*?)\)\s+then delete",
                      re.IGNORECASE | re.DOTALL)
DATE_LITERAL = re.compile(r"^date\('(\d{4}-\d{2}-\d{2})'\)$")


class Ga4Runs:
    """The GA4 models on one dataset of the local API; each run in its own target dir."""

    def __init__(self, emulator: Emulator, root: Path, data: Path) -> None:
        self.root, self.data = root, data
        self.ga4 = root / "ga4"
        self.ga4.mkdir()
        self.env = emulator_env(emulator, BQ_DATASET="pruning", DBT_TARGET="bigquery",
                                RAW_SCHEMA="raw_pruning", BQ_THREADS="2")

    def land(self, days: int) -> None:
        for n in range(days):
            name = f"events_{START + dt.timedelta(days=n):%Y%m%d}.parquet"
            if not (self.ga4 / name).exists():
                shutil.copy(self.data / "ga4" / name, self.ga4 / name)
        run = subprocess.run([sys.executable, str(LOAD_GA4), str(self.ga4), "--target", "bigquery"],
                             env=self.env, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stderr[-3000:]

    def build(self, label: str, *args: str) -> Path:
        target = self.root / label
        run = subprocess.run(
            [str(DBT), "build", "--select", SELECTOR, "--exclude", "resource_type:test",
             "resource_type:unit_test", "--target", "bigquery", "--project-dir", str(DBT_PROJECT),
             "--profiles-dir", str(DBT_PROJECT), "--target-path", str(target / "target"),
             "--log-path", str(target / "logs"), *args],
            cwd=DBT_PROJECT, env=self.env, capture_output=True, text=True, timeout=600, check=False,
        )
        assert run.returncode == 0, f"dbt build ({label}) failed:\n{run.stdout[-4000:]}"
        return target / "target"


@pytest.fixture(scope="module")
def runs(bigquery_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bq_pruning")
    data = root / "data"
    samplegen.generate(data, members=800, days=DAYS, start=START, seed=3)
    ga4 = Ga4Runs(bigquery_emulator, root, data)
    ga4.land(FIRST_RUN_DAYS)
    first = ga4.build("first")
    ga4.land(DAYS)
    incremental = ga4.build("incremental")
    start, end = BACKFILL
    backfill = ga4.build("backfill", "--vars", f"{{start_date: '{start}', end_date: '{end}'}}")
    return {"first": first, "incremental": incremental, "backfill": backfill}


def _export_reads(target: Path) -> list[tuple[str, str, str]]:
    """(file, first suffix, last suffix) of every read of the export dbt compiled."""
    reads = []
    for path in sorted((target / "compiled").rglob("*.sql")):
        sql = path.read_text()
        wildcards = len(WILDCARD.findall(sql))
        ranges = SUFFIX_RANGE.findall(sql)
        assert wildcards == len(ranges), (
            f"{path.name}: {wildcards} read(s) of events_* but {len(ranges)} literal _TABLE_SUFFIX range(s):\n{sql}")
        reads += [(path.stem, low, high) for low, high in ranges]
    return reads


def _replaced_days(target: Path, model: str) -> list[dt.date]:
    """The partitions the model's merge replaced, which must all be date literals."""
    path = target / "run" / "membership_analytics" / "models" / INCREMENTAL_MODELS[model] / f"{model}.sql"
    merge = path.read_text()
    assert "select max(" not in merge.lower(), f"{model}: the merge still computes a max:\n{merge}"
    lists = REPLACED.findall(merge)
    assert len(lists) == 1, f"{model}: expected one partition list in its merge:\n{merge}"
    days = []
    for item in (part.strip() for part in lists[0].split(",")):
        match = DATE_LITERAL.match(item)
        assert match, f"{model}: partition {item!r} is not a date literal"
        days.append(dt.date.fromisoformat(match.group(1)))
    return days


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def test_first_run_reads_every_shard_through_a_literal_range(runs: dict[str, Path]) -> None:
    assert _export_reads(runs["first"]) == [("base_ga4__events", "00000000", "99999999")]


def test_incremental_run_reads_only_the_lookback_and_replaces_literal_days(runs: dict[str, Path]) -> None:
    latest_loaded = START + dt.timedelta(days=FIRST_RUN_DAYS - 1)
    window_start = latest_loaded - dt.timedelta(days=LOOKBACK_DAYS)
    assert _export_reads(runs["incremental"]) == [("base_ga4__events", f"{window_start:%Y%m%d}", "99999999")]
    for model in INCREMENTAL_MODELS:
        first = window_start - dt.timedelta(days=model in SESSION_DATED)
        assert _replaced_days(runs["incremental"], model) == _days(first, latest_loaded), model


def test_backfill_reads_and_replaces_exactly_its_days(runs: dict[str, Path]) -> None:
    start, end = BACKFILL
    assert _export_reads(runs["backfill"]) == [("base_ga4__events", f"{start:%Y%m%d}", f"{end:%Y%m%d}")]
    for model in INCREMENTAL_MODELS:
        first = start - dt.timedelta(days=model in SESSION_DATED)
        assert _replaced_days(runs["backfill"], model) == _days(first, end), model


def test_run_results_of_the_local_api_summarize_to_zero_bytes(runs: dict[str, Path]) -> None:
    results = json.loads((runs["incremental"] / "run_results.json").read_text())["results"]
    outcome = pipeline_dbt.DbtOutcome(returncode=0, log_file=Path("dbt.log"), results=results)
    summary = pipeline_dbt.summarize(outcome)["bytes"]
    assert summary is not None, "dbt-bigquery wrote no bytes_processed into run_results.json"
    assert set(summary["by_model"]) >= set(INCREMENTAL_MODELS)
    assert summary["processed"] == 0 and summary["billed"] is None
