"""GA4 is optional: membership exports alone build every membership mart.

End to end on DuckDB: a run whose GA4 folder holds no shard builds the membership
marts (equal, cell by cell, to the reference computed without GA4), leaves the GA4
columns null and the GA4 models out of the run (not failed, not skipped), says
"GA4: not configured", and its report shows the membership charts with one note in
place of the GA4 ones. Then the GA4 shards land in the folder and the next run fills
everything in, equal to the full reference. The BigQuery counterpart is in
tests/bigquery/test_bigquery_end_to_end.py. The fast tests at the end pin how "configured" is
decided.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

import tests.reference.reference_metrics as ref
from pipeline.ga4_source import ga4_status
from pipeline.report.charts import CHARTS
from pipeline.settings import resolve
from tests.support.pipeline_runs import MART_KEYS, Workspace, explain, generated_workspace, step
from tests.support.reference_comparison import assert_marts_match_reference
from tests.support.reference_comparison import mismatches as _mismatches
from tests.support.report_page import chart_specs

MEMBERSHIP_MARTS = ["fct_kpis_weekly", "fct_kpis_monthly", "fct_retention_cohorts_monthly",
                    "fct_mrr_monthly", "fct_member_mrr_monthly"]
GA4_MODELS = ["base_ga4__events", "stg_ga4__events", "int_ga4_user_days_aggregated",
              "int_ga4_user_id_days_aggregated", "int_ga4_user_ids_mapped", "int_ga4_users_acquired",
              "int_ga4_days_aggregated", "int_ga4_periods_aggregated", "int_ga4_new_users_aggregated",
              "int_acquisition_aggregated",
              "int_ga4_sessions_touched", "int_ga4_sessions_attributed", "int_ga4_traffic_sources_classified",
              "fct_ga4__active_users_daily", "fct_ga4__export_days", "fct_ga4__sessions", "fct_ga4__sessions_daily",
              "fct_acquisition_weekly", "fct_acquisition_monthly"]
DAYS = 40


def _tables(ws: Workspace) -> set[str]:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        rows = con.execute("select table_name from information_schema.tables "
                           "where table_schema = 'analytics'").fetchall()
    return {name for (name,) in rows}


def _mart(ws: Workspace, name: str) -> object:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        return con.execute(f"select * from analytics.{name} order by {', '.join(MART_KEYS[name])}").df()


@pytest.fixture(scope="module")
def without_ga4(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Path]:
    """A workspace whose GA4 folder is empty, after its first run; and where the
    generated GA4 shards wait to be added."""
    root = tmp_path_factory.mktemp("ga4_optional")
    generated = generated_workspace(root, members_per_year=2000, days=DAYS, start=dt.date(2025, 1, 20),
                                    seed=20250120, messy=True)
    waiting = root / "ga4_later"
    generated.ga4_dir.rename(waiting)
    generated.ga4_dir.mkdir()
    result = generated.run("--report", "--report-path", str(root / "report.html"), timeout=600)
    assert result.returncode == 0, explain(result)
    assert "GA4: not configured: no events_YYYYMMDD.parquet shard in" in result.stdout, result.stdout
    return generated, waiting


@pytest.mark.slow
def test_without_ga4_every_membership_mart_builds_and_matches_the_reference(
        without_ga4: tuple[Workspace, Path]) -> None:
    ws, _ = without_ga4
    summary = ws.summary()
    assert summary["status"] == "success" and summary["vars"]["ga4_enabled"] is False
    build = step(summary, "dbt_build")["details"]
    assert build["ga4"]["configured"] is False and build["ga4"]["shards"] == 0
    # Not run at all: nothing failed, nothing skipped, no GA4 node in dbt's results.
    # (messy data warns of its invalid lifecycles by design)
    assert [p["name"] for p in build["problems"]] == ["warn_invalid_member_lifecycles"], build["problems"]
    assert build["skipped"] == [], build["skipped"]
    log = Path(build["log_file"]).read_text(encoding="utf-8")
    for model in GA4_MODELS:
        assert f"model analytics.{model} " not in log, model
    tables = _tables(ws)
    assert set(MEMBERSHIP_MARTS) | {"dim_members"} <= tables
    assert not set(GA4_MODELS) & tables

    expected = ref.compute_membership_only(ws.membership_dir)
    problems: list[str] = []
    for name in MEMBERSHIP_MARTS:
        assert len(expected[name]) > 0, name
        problems += _mismatches(name, _mart(ws, name), expected[name])
    assert not problems, "\n".join(problems[:40])


@pytest.mark.slow
def test_without_ga4_the_ga4_columns_are_null(without_ga4: tuple[Workspace, Path]) -> None:
    ws, _ = without_ga4
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        kpis = con.execute("select count(*), count(active_users), count(new_users), "
                           "count(signup_conversion_rate), sum(signups) from analytics.fct_kpis_monthly").fetchone()
        members = con.execute("select count(*), count(first_user_source), count(first_user_medium), "
                              "count(first_user_campaign), count(first_user_channel_group) "
                              "from analytics.dim_members").fetchone()
    assert kpis[0] > 0 and kpis[1:4] == (0, 0, 0) and kpis[4] > 0, kpis
    assert members[0] > 0 and members[1:] == (0, 0, 0, 0), members


@pytest.mark.slow
def test_without_ga4_the_report_has_the_membership_charts_and_one_note(
        without_ga4: tuple[Workspace, Path]) -> None:
    ws, _ = without_ga4
    page = ws.root / "report.html"
    html = page.read_text(encoding="utf-8")
    assert set(chart_specs(page)) == {"chart-weekly_members", "chart-conversion_rates", "chart-monthly_members",
                                      "chart-retention_cohorts", "chart-mrr_movements",
                                      "chart-mrr_by_plan", "chart-revenue_cohorts"}
    assert html.count('id="ga4-not-configured"') == 1 and html.count("GA4 is not configured") == 1
    assert 'id="active_users"' not in html and 'id="acquisition_funnel"' not in html
    assert 'id="channel_value"' not in html
    report = step(ws.summary(), "report")["details"]
    assert report["ga4_note"] and report["charts_not_drawn"] == {}


@pytest.mark.slow
def test_adding_ga4_later_fills_everything_in(without_ga4: tuple[Workspace, Path]) -> None:
    ws, waiting = without_ga4
    for shard in waiting.glob("events_*.parquet"):
        shutil.copy(shard, ws.ga4_dir / shard.name)
    result = ws.run("--report", "--report-path", str(ws.root / "report.html"), timeout=600)
    assert result.returncode == 0, explain(result)
    assert "GA4: not configured" not in result.stdout
    build = step(ws.summary(), "dbt_build")["details"]
    # --messy leaves one GA4 day unexported (samplegen.export_gaps).
    assert build["ga4"]["configured"] is True and build["ga4"]["shards"] == DAYS - 1
    assert ws.summary()["vars"]["ga4_enabled"] is True
    assert_marts_match_reference(ws)
    assert set(chart_specs(ws.root / "report.html")) == {f"chart-{chart.key}" for chart in CHARTS}
    assert "GA4 is not configured" not in (ws.root / "report.html").read_text(encoding="utf-8")


# --- what "configured" means (no dbt run) -------------------------------------------


def test_a_membership_source_of_ones_own_does_not_take_the_sample_ga4(tmp_path: Path) -> None:
    env = {"MEMBERSHIP_SOURCE_URI": str(tmp_path / "*.csv"), "DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    settings = resolve("duckdb", {}, {}, environ=env)
    assert settings.ga4_local_path is None and "GA4_LOCAL_PATH" not in settings.dbt_environment()
    status = ga4_status(settings)
    assert not status.configured and "set GA4_LOCAL_PATH" in status.reason


def test_the_sample_default_keeps_the_sample_ga4(tmp_path: Path) -> None:
    settings = resolve("duckdb", {}, {}, environ={})
    assert settings.ga4_local_path and settings.ga4_local_path.endswith("sample_data/ga4")


def test_a_folder_with_shards_is_configured_and_a_given_var_wins(tmp_path: Path) -> None:
    (tmp_path / "events_20250101.parquet").write_bytes(b"")
    (tmp_path / "events_intraday_20250102.parquet").write_bytes(b"")
    env = {"MEMBERSHIP_SOURCE_URI": "x.csv", "GA4_LOCAL_PATH": str(tmp_path)}
    status = ga4_status(resolve("duckdb", {}, {}, environ=env))
    assert status.configured and status.shards == 1
    forced_off = ga4_status(resolve("duckdb", {"ga4_enabled": False}, {}, environ=env))
    assert not forced_off.configured and "given" in forced_off.reason
    assert json.dumps(forced_off.as_dict())
