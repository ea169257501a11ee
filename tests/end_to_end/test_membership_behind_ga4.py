"""GA4 ahead of the membership exports: the usual state with monthly exports and a
daily GA4 export. The newest export here is from 2025-02-28 while GA4 runs to
2025-03-16, so every period after the membership as-of date has GA4 figures and no
membership figures (null, not 0). The revenue marts follow the same rule: March
keeps its row in fct_mrr_monthly and fct_channel_value_monthly with every figure
null, and has no member-month, plan row or revenue cohort cell (the last export's
state is not carried into it). The marts must equal the reference computed from the
same files, and the build must pass with its data tests (which compare the revenue
marts' paying members and sums with fct_kpis_monthly month by month, nulls included).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

import samplegen
from tests.support.pipeline_runs import MART_KEYS, Workspace, explain
from tests.support.reference_comparison import assert_marts_match_reference

pytestmark = pytest.mark.slow

START = dt.date(2025, 1, 1)
DAYS = 75  # to 2025-03-16; monthly exports on 01-31, 02-28 and the last day


@pytest.fixture(scope="module")
def membership_behind(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("membership_behind")
    samplegen.generate(root / "data", members=2000, days=DAYS, start=START, seed=29)
    ws = Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")
    exports = sorted(ws.membership_dir.glob("members_*.csv"))
    assert exports[-2].name == "members_20250228.csv", [p.name for p in exports]
    for newer in exports[exports.index(exports[-2]) + 1:]:
        newer.unlink()
    result = ws.run(timeout=900)
    # The marts are built before the data test that fails (test_the_build_passes).
    assert ws.duckdb_path.exists(), explain(result)
    (root / "build_output.txt").write_text(explain(result))
    (root / "build_returncode.txt").write_text(str(result.returncode))
    return ws


def test_the_build_passes(membership_behind: Workspace) -> None:
    returncode = int((membership_behind.root / "build_returncode.txt").read_text())
    assert returncode == 0, (membership_behind.root / "build_output.txt").read_text()[-3000:]


def _rows(ws: Workspace, mart: str) -> list[dict[str, object]]:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        cursor = con.execute(f"select * from analytics.{mart} order by {', '.join(MART_KEYS[mart])}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_periods_past_the_membership_as_of_date_have_ga4_and_no_membership_figures(
    membership_behind: Workspace,
) -> None:
    weeks = _rows(membership_behind, "fct_kpis_weekly")
    past = [w for w in weeks if w["week_start"] > dt.date(2025, 3, 2)]
    assert past, "no week after the membership as-of date"
    for week in past:
        assert week["signups"] is None and week["paying_members_end"] is None, week
        assert week["active_users"] is not None and week["active_users"] > 0, week


def _measured_month(cell: dict[str, object]) -> dt.date:
    cohort, k = cell["cohort_month"], cell["months_since_first_payment"]
    assert isinstance(cohort, dt.date) and isinstance(k, int)
    months = cohort.year * 12 + cohort.month - 1 + k
    return dt.date(months // 12, months % 12 + 1, 1)


def test_the_cohort_and_revenue_marts_stop_at_the_membership_as_of_date(membership_behind: Workspace) -> None:
    as_of = {m["membership_as_of_date"] for m in _rows(membership_behind, "fct_kpis_monthly")}
    assert as_of == {dt.date(2025, 2, 28)}, as_of
    mrr = _rows(membership_behind, "fct_mrr_monthly")
    figures = [c for c in mrr[0] if c not in ("month_start", "is_complete_period")]
    assert [m["month_start"] for m in mrr] == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    for month in mrr[:2]:
        assert month["mrr_end"] > 0 and month["paying_members_end"] > 0, month
    assert all(mrr[2][c] is None for c in figures), mrr[2]

    channel = _rows(membership_behind, "fct_channel_value_monthly")
    groups = {row["channel_group"] for row in channel}
    march = [row for row in channel if row["month_start"] == dt.date(2025, 3, 1)]
    assert {row["channel_group"] for row in march} == groups and len(groups) > 1
    channel_figures = [c for c in channel[0] if c not in ("month_start", "channel_group", "is_complete_period")]
    assert all(row[c] is None for row in march for c in channel_figures), march[:2]
    assert all(row["paying_members_end"] is not None for row in channel if row["month_start"] < dt.date(2025, 3, 1))

    for mart in ("fct_member_mrr_monthly", "fct_mrr_by_plan_monthly"):
        months = {row["month_start"] for row in _rows(membership_behind, mart)}
        assert months == {dt.date(2025, 1, 1), dt.date(2025, 2, 1)}, (mart, months)
    for mart in ("fct_revenue_cohorts_monthly", "fct_retention_cohorts_monthly"):
        cells = _rows(membership_behind, mart)
        assert {_measured_month(c) for c in cells} == {dt.date(2025, 1, 1), dt.date(2025, 2, 1)}, mart


def test_the_marts_equal_the_reference(membership_behind: Workspace) -> None:
    assert_marts_match_reference(membership_behind)
