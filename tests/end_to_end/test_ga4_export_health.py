"""GA4 export health (docs/specification.md, "Export health"), on DuckDB.

The generator drops a GA4 day and half-exports another (--messy has one of each);
one pipeline run on those files must then show it everywhere a person looks:
fct_ga4__export_days equals the independent reference (tests/reference_ga4_export.py),
the active users' windows holding those days are flagged, the three warn-level
tests warn (and the run summary says so in one line), and the report marks the days.
A second run with a low daily cap shows the cap test. The generator's options are
checked on the files themselves.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

import samplegen
from pipeline.ga4_export_health import export_health_line
from samplegen.export_gaps import MESSY_HALF_DAY_INDEX, MESSY_MISSING_DAY_INDEX
from tests.reference.reference_ga4_export import EXPORT_DAY_COLUMNS, Thresholds, export_days, with_export_flags
from tests.support.pipeline_runs import ROOT, Workspace, explain, step
from tests.support.reference_comparison import mismatches
from tests.support.report_page import chart_specs

MEMBERS_PER_YEAR = 1500
DAYS = 45
START = dt.date(2025, 2, 3)
SEED = 23
MISSING = START + dt.timedelta(days=MESSY_MISSING_DAY_INDEX)
HALF = START + dt.timedelta(days=MESSY_HALF_DAY_INDEX)
FLAGS = ["is_dau_export_incomplete", "is_wau_7d_export_incomplete", "is_mau_28d_export_incomplete"]


def _differences(name: str, mart: pd.DataFrame, expected: pd.DataFrame, key: str,
                 columns: list[str]) -> list[str]:
    """The end-to-end tests' reference comparison, on `columns` only."""
    shown = [key, *(c for c in columns if c != key)]
    return mismatches(name, mart[shown], expected[shown], keys=[key])


def _query(ws: Workspace, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    root = tmp_path_factory.mktemp("export_health")
    samplegen.generate(root / "data", members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=SEED, messy=True)
    ws = Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    result = ws.run("--report", "--report-path", str(root / "report" / "index.html"), timeout=600)
    assert result.returncode == 0, explain(result)
    return ws, result.stdout


# --- the generator ---------------------------------------------------------------


def test_messy_leaves_one_day_unexported_and_one_half_exported(tmp_path: Path) -> None:
    clean, rough = tmp_path / "clean", tmp_path / "messy"
    samplegen.generate(clean, members=800, days=35, start=START, seed=SEED)
    samplegen.generate(rough, members=800, days=35, start=START, seed=SEED, messy=True)
    names = sorted(p.name for p in (clean / "ga4").iterdir())
    assert sorted(p.name for p in (rough / "ga4").iterdir()) == [
        n for n in names if n != f"events_{MISSING:%Y%m%d}.parquet"]
    half = f"events_{HALF:%Y%m%d}.parquet"
    whole = pq.read_table(clean / "ga4" / half)
    part = pq.read_table(rough / "ga4" / half)
    # --messy adds consent pings to every day: compare the events that have a device.
    whole_ids = [r for r in whole.column("user_pseudo_id").to_pylist() if r is not None]
    part_ids = [r for r in part.column("user_pseudo_id").to_pylist() if r is not None]
    assert 0 < len(part_ids) < 0.5 * len(whole_ids)
    # The events before local noon (UTC+9), all of them, and none after.
    noon_us = int(dt.datetime(HALF.year, HALF.month, HALF.day, 3, tzinfo=dt.UTC).timestamp()) * 10**6
    before_noon = sorted(t for t in whole.column("event_timestamp").to_pylist() if t < noon_us)
    assert sorted(set(part.column("event_timestamp").to_pylist())) == sorted(set(before_noon))


def test_the_gap_options_pick_any_day_and_refuse_a_day_outside_the_range(tmp_path: Path) -> None:
    dropped, halved = START + dt.timedelta(days=3), START + dt.timedelta(days=5)
    samplegen.generate(tmp_path, members=800, days=8, start=START, seed=SEED,
                       drop_ga4_days=[dropped], half_ga4_days=[halved])
    days = sorted(p.name for p in (tmp_path / "ga4").iterdir())
    assert len(days) == 7 and f"events_{dropped:%Y%m%d}.parquet" not in days
    with pytest.raises(ValueError, match=r"--drop-ga4-day 2025-03-01 is outside the generated range "
                                         r"2025-02-03\.\.2025-02-10"):
        samplegen.generate(tmp_path, members=800, days=8, start=START, seed=SEED,
                           drop_ga4_days=[dt.date(2025, 3, 1)])
    with pytest.raises(ValueError, match="both dropped and half-exported"):
        samplegen.generate(tmp_path, members=800, days=8, start=START, seed=SEED,
                           drop_ga4_days=[dropped], half_ga4_days=[dropped])


def test_the_command_line_takes_the_gap_options(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "samplegen", "--out", str(tmp_path), "--members", "500", "--days", "4",
               "--start", "2025-01-01", "--drop-ga4-day", "2025-01-02", "--half-export-ga4-day", "2025-01-03"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, explain(result)
    assert sorted(p.name for p in (tmp_path / "ga4").iterdir()) == [
        "events_20250101.parquet", "events_20250103.parquet", "events_20250104.parquet"]
    bad = subprocess.run([*command[:-4], "--drop-ga4-day", "2025-02-30"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "--drop-ga4-day must be a date like 2025-01-01, got '2025-02-30'" in bad.stderr


# --- one run on messy files --------------------------------------------------------


@pytest.mark.slow
def test_export_days_equal_the_reference(messy: tuple[Workspace, str]) -> None:
    ws, _ = messy
    mart = _query(ws, "select * from analytics.fct_ga4__export_days order by export_date")
    expected = export_days(ws.ga4_dir)
    problems = _differences("fct_ga4__export_days", mart, expected, "export_date", EXPORT_DAY_COLUMNS)
    assert not problems, "\n".join(problems[:30])
    flagged = mart.set_index(mart["export_date"].dt.date)
    assert flagged.loc[MISSING, "is_missing_day"] and not flagged.loc[MISSING, "has_daily_table"]
    assert flagged.loc[HALF, "is_short_day"] and flagged.loc[HALF, "event_ratio_to_trailing_median"] < 0.5
    assert int(flagged["is_incomplete_day"].sum()) == 2
    # DuckDB keeps no table metadata: the BigQuery-only columns are null.
    for column in ("table_created_at_utc", "table_modified_at_utc", "hours_after_day_end", "is_restated"):
        assert mart[column].isna().all(), column


@pytest.mark.slow
def test_active_user_windows_holding_a_gap_are_flagged(messy: tuple[Workspace, str]) -> None:
    ws, _ = messy
    mart = _query(ws, "select * from analytics.fct_ga4__active_users_daily order by event_date")
    expected = with_export_flags(mart[["event_date"]].assign(event_date=mart["event_date"].dt.date), ws.ga4_dir)
    problems = _differences("fct_ga4__active_users_daily", mart, expected, "event_date", FLAGS)
    assert not problems, "\n".join(problems[:30])
    days = mart.set_index(mart["event_date"].dt.date)
    assert days.loc[MISSING, "dau"] == 0 and days.loc[MISSING, "is_dau_export_incomplete"]
    after = MISSING + dt.timedelta(days=1)
    assert not days.loc[after, "is_dau_export_incomplete"] and days.loc[after, "is_wau_7d_export_incomplete"]
    before = MISSING - dt.timedelta(days=1)
    assert not days.loc[before, FLAGS].any()


@pytest.mark.slow
def test_the_tests_warn_and_the_summary_says_so_in_one_line(messy: tuple[Workspace, str]) -> None:
    ws, stdout = messy
    build = step(ws.summary(), "dbt_build")["details"]
    warned = {p["name"] for p in build["problems"] if p["status"] == "warn"}
    assert {"ga4_export_day_missing", "ga4_export_day_short"} <= warned
    assert "ga4_export_day_at_cap" not in warned
    line = f"GA4 export: 1 missing day ({MISSING}); 1 short day ({HALF})."
    assert [text for text in stdout.splitlines() if "GA4 export:" in text] == [
        f"      {line} Active-user figures whose window holds such a day are flagged "
        "(fct_ga4__export_days, fct_ga4__active_users_daily)."]


def test_no_summary_line_without_an_export_warning() -> None:
    other = {"name": "warn_invalid_member_lifecycles", "kind": "data_tests", "status": "warn", "failures": 3}
    assert export_health_line([other]) is None
    capped = {"name": "ga4_export_day_at_cap", "kind": "data_tests", "status": "warn", "failures": 7,
              "failing_rows": [{"export_date": dt.date(2025, 1, d)} for d in range(1, 6)]}
    assert export_health_line([other, capped]).startswith(
        "GA4 export: 7 days at the daily export limit (2025-01-01, 2025-01-02, 2025-01-03, 2025-01-04, "
        "2025-01-05, ...).")


@pytest.mark.slow
def test_the_report_marks_the_days(messy: tuple[Workspace, str]) -> None:
    ws, _ = messy
    page = ws.root / "report" / "index.html"
    spec = chart_specs(page)["chart-ga4_export_days"]
    rows = {r["export_date"][:10]: r for r in spec["datasets"]["mart"]}
    assert rows[MISSING.isoformat()]["is_missing_day"] is True
    assert rows[HALF.isoformat()]["is_short_day"] is True
    assert sum(r["is_missing_day"] or r["is_short_day"] or r["is_at_daily_cap"] for r in rows.values()) == 2
    html = page.read_text(encoding="utf-8")
    assert "GA4 export health" in html and "missing (no daily table)" in html

    from pipeline.report.browser import CHARTS_PROBE, CHARTS_SETTLED, Browser, find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed (apt-get install -y chromium): the page was not opened")
    with Browser() as browser:
        visit = browser.visit(page, CHARTS_SETTLED, CHARTS_PROBE)
        # The marks Vega drew: one bar per exported day, one band for the missing day.
        marks = browser.evaluate(
            "Array.from(document.querySelectorAll('#chart-ga4_export_days path[aria-roledescription=bar]'))"
            ".map(p => p.getAttribute('aria-label'))")
    assert not visit.exceptions, visit.exceptions
    labels = [m for m in marks if m]
    assert sum("missing (no daily table)" in m for m in labels) == 1, labels[:5]
    assert sum("short day" in m for m in labels) == 1, labels[:5]


@pytest.mark.slow
def test_a_day_at_the_daily_cap_warns(messy: tuple[Workspace, str]) -> None:
    ws, _ = messy
    counts = export_days(ws.ga4_dir)["event_count"].dropna()
    cap = int(counts.max())  # the busiest day reaches it
    result = ws.run("--skip-load", "--vars", f"{{ga4_export_daily_event_cap: {cap}}}", timeout=600)
    assert result.returncode == 0, explain(result)
    mart = _query(ws, "select * from analytics.fct_ga4__export_days order by export_date")
    expected = export_days(ws.ga4_dir, Thresholds(daily_event_cap=cap))
    problems = _differences("fct_ga4__export_days", mart, expected, "export_date", EXPORT_DAY_COLUMNS)
    assert not problems, "\n".join(problems[:30])
    assert int(mart["is_at_daily_cap"].sum()) == int((counts >= cap).sum()) >= 1
    assert "day at the daily export limit" in result.stdout or "days at the daily export limit" in result.stdout
