"""Numbers that say how complete they are, on generated data from a fresh build.

The sample starts on a Wednesday (a first week of five days) and its GA4 export stops
ten days before the membership exports do: the situation in which the report used to
show an immature signup-to-paid week as a fall, a week GA4 had not reached as 0 active
users, the 28-day window's warm-up as a trend, and a churn count that did not match
the churn rate. One pipeline run with the report; every new column is checked against
the reference computation (tests/reference_metrics.py), and the page against the
warehouse.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import duckdb
import pytest

import samplegen
import tests.reference.reference_metrics as ref
from tests.support.pipeline_runs import Workspace, explain
from tests.support.report_page import chart_specs, latest_table, same

pytestmark = pytest.mark.slow

MEMBERS_PER_YEAR = 2000
START = dt.date(2025, 1, 1)  # a Wednesday: the first ISO week has five days of data
DAYS = 75  # to Sunday 2025-03-16
GA4_DAYS_MISSING = 10  # GA4's daily tables stop on 2025-03-06
KEYS = {
    "fct_kpis_weekly": ["week_start"],
    "fct_kpis_monthly": ["month_start"],
    "fct_retention_cohorts_monthly": ["cohort_month", "months_since_first_payment"],
    "fct_ga4__active_users_daily": ["event_date"],
    "fct_acquisition_weekly": ["week_start", "channel_group"],
    "fct_acquisition_monthly": ["month_start", "channel_group"],
}


@pytest.fixture(scope="module")
def late_ga4(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("completeness")
    samplegen.generate(root / "data", members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=23)
    ws = Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    for shard in sorted(ws.ga4_dir.glob("events_*.parquet"))[-GA4_DAYS_MISSING:]:
        shard.unlink()
    result = ws.run("--report", "--report-path", str(root / "report.html"), timeout=900)
    assert result.returncode == 0, explain(result)
    return ws


def _query(ws: Workspace, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _rows(ws: Workspace, mart: str) -> list[dict[str, Any]]:
    return _query(ws, f"select * from analytics.{mart} order by {', '.join(KEYS[mart])}")


def test_the_marts_equal_the_reference_in_every_column(late_ga4: Workspace) -> None:
    expected = ref.compute_all(late_ga4.membership_dir, late_ga4.ga4_dir)
    problems: list[str] = []
    for mart, keys in KEYS.items():
        got = {tuple(str(r[k])[:10] for k in keys): r for r in _rows(late_ga4, mart)}
        want = {tuple(str(r[k])[:10] for k in keys): r for r in expected[mart].to_dict("records")}
        assert set(got) == set(want), mart
        assert set(next(iter(got.values()))) == set(expected[mart].columns), mart
        for key, row in want.items():
            for column, value in row.items():
                value = None if isinstance(value, float) and math.isnan(value) else value
                if not same(got[key][column], value):
                    problems.append(f"{mart} {key} {column}: mart {got[key][column]!r}, reference {value!r}")
    assert not problems, "\n".join(problems[:30])


def test_a_week_past_ga4s_as_of_date_is_null_and_partial_not_zero(late_ga4: Workspace) -> None:
    weeks = _rows(late_ga4, "fct_kpis_weekly")
    ga4_as_of = dt.date(2025, 3, 16) - dt.timedelta(days=GA4_DAYS_MISSING)
    assert {r["ga4_as_of_date"] for r in weeks} == {ga4_as_of}
    assert {r["membership_as_of_date"] for r in weeks} == {dt.date(2025, 3, 16)}
    last = weeks[-1]
    assert last["week_start"] == dt.date(2025, 3, 10) and last["is_complete_period"]
    assert last["active_users"] is None and last["new_users"] is None and last["signup_conversion_rate"] is None
    assert last["is_ga4_partial"] and not last["is_membership_partial"] and last["signups"] > 0
    covering = next(r for r in weeks if r["week_start"] == dt.date(2025, 3, 3))
    assert covering["is_ga4_partial"] and covering["active_users"] > 0  # GA4 stops on its Thursday


def test_the_first_week_of_five_days_is_partial_for_both_sources(late_ga4: Workspace) -> None:
    first, second = _rows(late_ga4, "fct_kpis_weekly")[:2]
    assert first["week_start"] == dt.date(2024, 12, 30)
    assert first["is_membership_partial"] and first["is_ga4_partial"]
    assert not second["is_membership_partial"] and not second["is_ga4_partial"]


def test_the_warm_up_of_the_rolling_windows_is_flagged(late_ga4: Workspace) -> None:
    days = _rows(late_ga4, "fct_ga4__active_users_daily")
    assert days[0]["stickiness"] == 1.0 and days[0]["is_mau_warm_up"] and days[0]["is_wau_warm_up"]
    assert [d["is_mau_warm_up"] for d in days[:29]] == [True] * 27 + [False] * 2
    assert [d["is_wau_warm_up"] for d in days[:8]] == [True] * 6 + [False] * 2


def test_churn_rate_is_its_own_count_over_the_paying_at_the_start(late_ga4: Workspace) -> None:
    months = _rows(late_ga4, "fct_kpis_monthly")
    for row in months:
        if row["paying_members_start"]:
            assert math.isclose(row["churn_rate"], row["churned_from_start_members"] / row["paying_members_start"])
        assert row["churned_from_start_members"] <= row["churned_members"]
    # The case the issue saw: members who start and stop paying in one month.
    assert any(r["churned_from_start_members"] < r["churned_members"] for r in months)


def test_the_top_table_compares_only_mature_signup_to_paid_periods(late_ga4: Workspace) -> None:
    page = late_ga4.root / "report.html"
    table = latest_table(page)
    row = next(r for r in table["rows"] if r["cells"][0]["column"] == "signup_to_paid_rate")
    week = row["cells"][0]
    latest_week = table["columns"][0]["start"]
    mature = {str(r["week_start"]): r["is_signup_to_paid_rate_mature"] for r in _rows(late_ga4, "fct_kpis_weekly")}
    # The latest complete week has not had its conversion window: not compared.
    assert mature[latest_week] is False
    assert mature[week["start"]] is True and mature[week["previous_start"]] is True
    assert week["start"] != latest_week and week["period_note"].startswith(f"week of {week['start']}")
    # Active users compares the latest weeks GA4 covers in full, never a null week.
    active = next(r for r in table["rows"] if r["cells"][0]["column"] == "active_users")["cells"][0]
    assert active["value"] is not None and active["value"] > 0
    # Churn: both counts, side by side, and the sentence that tells them apart.
    columns = [r["cells"][0]["column"] for r in table["rows"]]
    assert {"churned_members", "churned_from_start_members", "churn_rate"} <= set(columns)
    assert any("churned of those paying at the start" in n for n in table["notes"])
    assert {r["label"] for r in table["rows"] if r["kind"] == "amount"} == {"MRR at the end (KRW)", "ARPPU (KRW)"}


def test_the_header_shows_each_sources_as_of_date(late_ga4: Workspace) -> None:
    html = (late_ga4.root / "report.html").read_text(encoding="utf-8")
    assert "Membership exports as of <b>2025-03-16</b>" in html
    assert "GA4 as of <b>2025-03-06</b>" in html


def test_the_charts_mark_maturity_warm_up_and_the_retention_range(late_ga4: Workspace) -> None:
    specs = chart_specs(late_ga4.root / "report.html")
    rates = specs["chart-conversion_rates"]
    assert "is_signup_to_paid_rate_mature" in rates["usermeta"]["columns"]
    weekly = {str(r["week_start"]): r for r in _rows(late_ga4, "fct_kpis_weekly")}
    for row in rates["datasets"]["mart"]:
        assert row["is_signup_to_paid_rate_mature"] is weekly[row["week_start"]]["is_signup_to_paid_rate_mature"]
    assert any(not r["is_signup_to_paid_rate_mature"] for r in rates["datasets"]["mart"])
    active = specs["chart-active_users"]
    assert {"is_wau_warm_up", "is_mau_warm_up"} <= set(active["usermeta"]["columns"])
    cohorts = specs["chart-retention_cohorts"]
    values = [r["retention_rate"] for r in cohorts["datasets"]["mart"]]
    domains = _find(cohorts, "domain")
    assert [min(values), max(values)] in domains, domains


def _find(spec: Any, key: str) -> list[Any]:
    """Every value of `key` anywhere in a specification."""
    if isinstance(spec, dict):
        return [v for k, v in spec.items() if k == key] + [x for v in spec.values() for x in _find(v, key)]
    if isinstance(spec, list):
        return [x for v in spec for x in _find(v, key)]
    return []

