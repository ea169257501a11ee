"""The KPI report (`orchestrate.py --report`, `orchestrate.py report`).

One pipeline run on generated data writes the page; the tests read it back: every
number embedded in it equals a query of the same warehouse, it references no network
resource, and headless Chromium draws every chart without a JavaScript error (skipped
with a message where Chromium is not installed). Missing and empty marts become notes
on the page, and the step does not run after a failed step.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

import samplegen
from pipeline.report.definitions import first_sentence
from tests.support.pipeline_runs import ROOT, Workspace, explain, step
from tests.support.report_page import chart_specs, latest_table, parse, row_differences, same

MEMBERS_PER_YEAR = 2000
DAYS = 75  # three complete months and a part of the fourth
START = dt.date(2025, 1, 6)
SEED = 11

# Each mart a chart or the table reads, by its key; written here from the marts' grain,
# not taken from the report's code.
KEYS = {
    "fct_ga4__active_users_daily": ["event_date"],
    "fct_ga4__export_days": ["export_date"],
    "fct_kpis_weekly": ["week_start"],
    "fct_kpis_monthly": ["month_start"],
    "fct_retention_cohorts_monthly": ["cohort_month", "months_since_first_payment"],
    "fct_mrr_monthly": ["month_start"],
    "fct_acquisition_monthly": ["month_start", "channel_group"],
    "fct_mrr_by_plan_monthly": ["month_start", "plan"],
    "fct_revenue_cohorts_monthly": ["cohort_month", "months_since_first_payment"],
    "fct_channel_value_monthly": ["month_start", "channel_group"],
}


def _report_path(ws: Workspace) -> Path:
    return ws.root / "report" / "index.html"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("report")
    samplegen.generate(root / "data", members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=SEED)
    ws = Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    result = ws.run("--report", "--report-path", str(_report_path(ws)), timeout=600)
    assert result.returncode == 0, explain(result)
    return ws


def _tables(ws: Workspace) -> set[str]:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        return {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'analytics'").fetchall()}


def _query(ws: Workspace, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _as_of(ws: Workspace) -> dt.date:
    """The latest date in either source, from the generated files' marts."""
    dates = _query(ws, "select max(signup_date) as a, max(first_paid_date) as b, max(canceled_date) as c, "
                       "max(resubscribed_date) as r from analytics.dim_members")[0]
    ga4 = _query(ws, "select max(event_date) as d from analytics.fct_ga4__active_users_daily")[0]["d"]
    return max(d for d in [*dates.values(), ga4] if d is not None)


@pytest.mark.slow
def test_the_run_writes_the_page_and_says_where(run: Workspace) -> None:
    summary = run.summary()
    report = step(summary, "report")
    assert report["status"] == "success", report
    assert report["details"]["report_path"] == str(_report_path(run))
    assert _report_path(run).stat().st_size > 100_000  # the charts' JavaScript is inside
    assert report["details"]["as_of"] == _as_of(run).isoformat()
    # Every chart whose mart exists is drawn; only missing marts are notes.
    present = _tables(run)
    for key, why in report["details"]["charts_not_drawn"].items():
        mart = {"mrr_movements": "fct_mrr_monthly", "acquisition_funnel": "fct_acquisition_monthly"}.get(key)
        assert mart and mart not in present, f"{key} not drawn although its mart exists: {why}"
    for png in report["details"]["png_files"]:
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = _report_path(run).read_text(encoding="utf-8")
    assert summary["run_id"] in page and "Target <b>duckdb</b>" in page
    assert f"Data as of <b>{_as_of(run).isoformat()}</b>" in page


@pytest.mark.slow
def test_every_number_on_the_page_equals_the_warehouse(run: Workspace) -> None:
    specs = chart_specs(_report_path(run))
    assert len(specs) >= 4
    problems: list[str] = []
    for chart, spec in specs.items():
        meta = spec["usermeta"]
        mart, columns = meta["mart"], meta["columns"]
        rows = spec["datasets"]["mart"]
        keys = KEYS[mart]
        want = _query(run, f"select {', '.join(columns)} from analytics.{mart} order by {', '.join(keys)}")
        assert want, f"{mart} is empty: the test data is too small"
        problems += row_differences(chart, rows, want, columns)
        assert set(rows[0]) == set(columns) | set(meta["derived"]), chart
    assert not problems, "\n".join(problems[:30])


@pytest.mark.slow
def test_the_retention_cells_of_a_month_not_ended_are_marked(run: Workspace) -> None:
    spec = chart_specs(_report_path(run))["chart-retention_cohorts"]
    as_of = _as_of(run)  # the generated exports' as-of date is the data's last day
    for row in spec["datasets"]["mart"]:
        cohort = dt.date.fromisoformat(row["cohort_month"])
        months = cohort.month - 1 + row["months_since_first_payment"]
        following = dt.date(cohort.year + (months + 1) // 12, (months + 1) % 12 + 1, 1)
        assert row["is_mature"] is (following - dt.timedelta(days=1) <= as_of), row
    assert any(not r["is_mature"] for r in spec["datasets"]["mart"])  # DAYS ends mid-month


@pytest.mark.slow
def test_the_latest_periods_table_equals_the_warehouse(run: Workspace) -> None:
    table = latest_table(_report_path(run))
    assert table["rows"], "the table is empty"
    checked = 0
    for row in table["rows"]:
        for cell in row["cells"]:
            if not cell["mart"]:
                continue
            key = KEYS[cell["mart"]][0]
            # A rate that can still grow compares mature periods, active users the
            # periods GA4 covers in full (written here from the docs blocks).
            extra = {"signup_to_paid_rate": " and is_signup_to_paid_rate_mature",
                     "active_users": " and not is_ga4_partial"}.get(cell["column"], "")
            complete = _query(run, f"select * from analytics.{cell['mart']} where is_complete_period{extra} "
                                   f"order by {key} desc limit 2")
            assert same(cell["start"], complete[0][key]), cell
            assert same(cell["value"], complete[0][cell["column"]]), cell
            assert same(cell["previous"], complete[1][cell["column"]] if len(complete) > 1 else None), cell
            checked += 1
    assert checked >= 16  # eight metrics, week and month


@pytest.mark.slow
def test_the_page_references_no_network_resource(run: Workspace) -> None:
    page = parse(_report_path(run))
    remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    for tag, attrs in page.elements:
        for name in ("src", "href", "srcset", "poster", "data", "action"):
            value = attrs.get(name)
            assert value is None or not remote.match(value), f"<{tag} {name}={value!r}>"
        assert not (tag == "link" and attrs.get("href")), f"<link href={attrs.get('href')!r}>"
        assert not (tag == "script" and attrs.get("src")), f"<script src={attrs.get('src')!r}>"
    for css in page.styles:
        assert "@import" not in css and "url(" not in css and "@font-face" not in css, css
    # Outside the charting library's bundle (whose code holds URL strings it never
    # fetches here: the Vega editor, the SVG namespace), no URL at all.
    ours = [text for attrs, text in page.scripts if "window.vegaEmbed=" not in text]
    html_without_scripts = re.sub(r"<script.*?</script>", "", _report_path(run).read_text(encoding="utf-8"),
                                  flags=re.DOTALL)
    for text in [*ours, html_without_scripts]:
        assert not re.search(r"https?://", text), re.search(r".{60}https?://.{60}", text, re.DOTALL)


@pytest.mark.slow
def test_chromium_draws_every_chart_without_errors_or_requests(run: Workspace) -> None:
    from pipeline.report.browser import CHARTS_PROBE, CHARTS_SETTLED, Browser, find_chromium

    if not find_chromium():
        pytest.skip("Chromium is not installed (apt-get install -y chromium): the page was not opened")
    page = _report_path(run)
    with Browser() as browser:
        visit = browser.visit(page, CHARTS_SETTLED, CHARTS_PROBE)
    charts = visit.state["charts"]
    assert len(charts) == len(chart_specs(page))
    for chart in charts:
        assert chart["rendered"] and chart["svgs"] + chart["canvases"] >= 1, chart
    assert not visit.exceptions, visit.exceptions
    assert not [m for m in visit.console if m["level"] in ("error", "warning", "assert")], visit.console
    assert visit.requests == [page.resolve().as_uri()], visit.requests


@pytest.mark.slow
def test_a_missing_or_empty_mart_is_a_note_on_the_page(run: Workspace, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(run.duckdb_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table analytics.fct_retention_cohorts_monthly")
        con.execute("delete from analytics.fct_kpis_weekly")
    out = tmp_path / "page" / "index.html"
    result = subprocess.run([sys.executable, str(ROOT / "orchestrate.py"), "report", "--report-path", str(out)],
                            env=run.env(DUCKDB_PATH=str(copy)), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, explain(result)
    html = out.read_text(encoding="utf-8")
    assert "This chart is not drawn: fct_retention_cohorts_monthly is not in the warehouse yet" in html
    assert "This chart is not drawn: fct_kpis_weekly has no rows yet." in html
    assert "chart-active_users" in chart_specs(out)  # the others are still drawn
    assert "Run <b>none" in html
    assert "not drawn: retention_cohorts" in result.stdout


@pytest.mark.slow
def test_the_report_step_does_not_run_after_a_failed_step(run: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "membership"
    bad.mkdir()
    (bad / "members_20250101.csv").write_text("id,when\n1,2025-01-01\n", encoding="utf-8")
    ws = Workspace(root=tmp_path, membership_dir=bad, ga4_dir=run.ga4_dir)
    result = ws.run("--report", "--report-path", str(tmp_path / "page.html"))
    assert result.returncode == 1, explain(result)
    report = step(ws.summary(), "report")
    assert report["status"] == "skipped" and not (tmp_path / "page.html").exists()


def test_a_chart_definition_is_the_first_sentence_of_the_column_docs_block() -> None:
    assert first_sentence("Members who paid: fp <= pe. Always equals x.") == "Members who paid: fp <= pe."
    assert first_sentence("Per day: `dau`. 0 on a day without events.") == "Per day: `dau`."
    assert first_sentence("signups / active_users (not bounded by 1)") == "signups / active_users (not bounded by 1)"
    # Which block each column calls is checked against dbt's own rendering of the doc()
    # calls: tests/dbt/test_dbt_project.py.


def test_the_report_exposure_lists_every_mart_the_report_reads() -> None:
    """dbt docs' lineage shows the report downstream of exactly the marts it draws."""
    import yaml

    from pipeline.report.charts import CHARTS

    content = yaml.safe_load((ROOT / "dbt_project" / "models" / "marts" / "exposures.yml").read_text())

    def refs(name: str) -> set[str]:
        exposure = next(e for e in content["exposures"] if e["name"] == name)
        return {re.fullmatch(r"ref\('(\w+)'\)", d).group(1) for d in exposure["depends_on"]}

    # The GA4 charts' marts sit in an exposure of their own, enabled only with GA4.
    assert refs("membership_kpi_ga4_charts") == {c.mart for c in CHARTS if c.ga4}
    assert refs("membership_kpi_report") == {c.mart for c in CHARTS if not c.ga4} | {"dim_members"}
