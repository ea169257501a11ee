"""Hand-computed cases for tests/reference/reference_revenue.py, the oracle of the revenue marts."""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tests.reference.reference_metrics as ref
import tests.reference.reference_revenue as rev

SEOUL = dt.timezone(dt.timedelta(hours=9))
HEADER = "member_id,user_id,signup_at,plan,first_paid_at,canceled_at,plan_price_krw\n"
EXPORTS = {
    # as-of date -> rows
    dt.date(2025, 1, 31): [
        "u,,2025-01-02 10:00:00,monthly,2025-01-05 10:00:00,,9900",
        "a,,2025-01-02 10:00:00,Annual ,2025-01-10 10:00:00,,\"99,000\"",
        "l,,2025-01-02 10:00:00,free,2025-01-31 20:00:00,,0",
        "c,,2025-01-02 10:00:00,monthly,2025-01-03 10:00:00,,9900",
        "n,,2025-01-02 10:00:00,free,,,0",
    ],
    dt.date(2025, 2, 28): [
        "u,,2025-01-02 10:00:00,premium,2025-01-05 10:00:00,,19900",
        "a,,2025-01-02 10:00:00,annual,2025-01-10 10:00:00,,99000",
        "l,,2025-01-02 10:00:00,monthly,2025-01-31 20:00:00,,",
        "c,,2025-01-02 10:00:00,monthly,2025-01-03 10:00:00,2025-02-10 10:00:00,9900",
        "n,,2025-01-02 10:00:00,free,,,0",
        "e,,2025-01-02 10:00:00,premium,2025-01-20 10:00:00,,19900",
        "q,,2025-02-01 10:00:00,monthly,2025-02-03 10:00:00,2025-02-20 10:00:00,9900",
    ],
}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    membership = tmp_path / "membership"
    membership.mkdir()
    (tmp_path / "ga4").mkdir()
    for as_of, rows in EXPORTS.items():
        path = membership / f"members_{as_of:%Y%m%d}.csv"
        path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
        end = dt.datetime.combine(as_of, dt.time(23, 59, 59), SEOUL).timestamp()
        os.utime(path, (end, end))
    return tmp_path


def _revenue(folder: Path) -> dict[str, pd.DataFrame]:
    members = ref.members_frame(folder / "membership")
    return rev.compute_revenue(folder / "membership", members, ref.ga4_events_frame(folder / "ga4"))


def test_member_months_and_movements(folder: Path) -> None:
    """u upgrades monthly 9,900 -> premium 19,900 (expansion); a pays 99,000 a year
    (8,250 a month, its price written "99,000", its plan " Annual "); l paid on 01-31
    but the January export still shows free: the February row gives monthly with an
    empty price, so the list price 10,900; c cancels on 02-10 (churned); e first
    appears in the February export: its premium state applies to January too; q pays
    and cancels within February and n never pays: no rows."""
    rows = _revenue(folder)["fct_member_mrr_monthly"]
    got = {(r["member_id"], r["month_start"].month): (r["plan"], r["mrr"], r["previous_mrr"], r["movement"])
           for r in rows.to_dict("records")}
    assert got == {
        ("u", 1): ("monthly", 9900, 0, "new"), ("u", 2): ("premium", 19900, 9900, "expansion"),
        ("a", 1): ("annual", 8250, 0, "new"), ("a", 2): ("annual", 8250, 8250, "retained"),
        ("l", 1): ("monthly", 10900, 0, "new"), ("l", 2): ("monthly", 10900, 10900, "retained"),
        ("c", 1): ("monthly", 9900, 0, "new"), ("c", 2): ("monthly", 0, 9900, "churned"),
        ("e", 1): ("premium", 19900, 0, "new"), ("e", 2): ("premium", 19900, 19900, "retained"),
    }


def test_monthly_figures_and_ratios(folder: Path) -> None:
    months = _revenue(folder)["fct_mrr_monthly"].to_dict("records")
    january, february = months
    assert (january["mrr_start"], january["new_mrr"], january["mrr_end"]) == (0, 58850, 58850)
    assert january["paying_members_end"] == 5
    # mrr_start is 0, and nothing was lost: every ratio's denominator is 0.
    assert all(pd.isna(january[r]) for r in ("gross_mrr_churn_rate", "net_mrr_retention", "quick_ratio"))
    assert february["mrr_start"] == 58850 and february["new_mrr"] == 0
    assert (february["expansion_mrr"], february["contraction_mrr"], february["churned_mrr"]) == (10000, 0, 9900)
    assert february["mrr_end"] == 58950 and february["paying_members_end"] == 4
    assert math.isclose(february["arppu"], 58950 / 4)
    assert math.isclose(february["gross_mrr_churn_rate"], 9900 / 58850)
    assert math.isclose(february["net_mrr_retention"], (58850 + 10000 - 9900) / 58850)
    assert math.isclose(february["quick_ratio"], 10000 / 9900)


def test_the_as_of_date_is_the_modification_time_in_the_reporting_zone(folder: Path) -> None:
    """The January export, modified at 23:59:59 Seoul time, is dated 01-31 in UTC too
    (14:59:59). Modified at 00:30 UTC on 02-01 it is dated 02-01: no export is then as
    old as January's end, so u's January state is the earliest export's (monthly)."""
    history = rev.member_histories(folder / "membership", ref.Settings(reporting_timezone="UTC"))
    assert [row.as_of for row in history["u"]] == [dt.date(2025, 1, 31), dt.date(2025, 2, 28)]
    january = folder / "membership" / "members_20250131.csv"
    late = dt.datetime(2025, 2, 1, 0, 30, tzinfo=dt.UTC).timestamp()
    os.utime(january, (late, late))
    history = rev.member_histories(folder / "membership", ref.Settings(reporting_timezone="UTC"))
    assert history["u"][0].as_of == dt.date(2025, 2, 1)
    plans = rev.read_plans()
    assert rev.state_at(history["u"], dt.date(2025, 1, 31), plans) == ("monthly", 9900)


def test_prices_parse_with_separators_and_fall_back_on_text() -> None:
    assert rev.parse_price(" 10,900 ") == 10900 and rev.parse_price("1,234.5") == 1234.5
    assert rev.parse_price("") is None and rev.parse_price("free of charge") is None


def test_a_plan_missing_from_the_seed_gives_no_mrr() -> None:
    history = [rev.StateRow((1, "a"), dt.date(2025, 1, 31), "platinum", 50000.0)]
    assert rev.state_at(history, dt.date(2025, 1, 31), rev.read_plans()) == ("platinum", 0.0)


RESUBSCRIPTIONS = {
    dt.date(2025, 1, 31): [
        "r,,2025-01-02 10:00:00,monthly,2025-01-05 10:00:00,,9900",
        "w,,2025-01-02 10:00:00,monthly,2025-01-05 10:00:00,,9900",
    ],
    dt.date(2025, 2, 28): [
        "r,,2025-01-02 10:00:00,monthly,2025-01-05 10:00:00,2025-02-10 10:00:00,9900",
        "w,,2025-01-02 10:00:00,monthly,2025-01-05 10:00:00,2025-02-10 10:00:00,9900",
    ],
    dt.date(2025, 3, 31): [
        "r,,2025-01-02 10:00:00,premium,2025-03-15 10:00:00,,19900",
        "w,,2025-01-02 10:00:00,monthly,2025-01-05 10:00:00,,9900",
    ],
}


def test_a_resubscription_in_the_history_is_a_churn_then_a_reactivation(tmp_path: Path) -> None:
    """r pays from 01-05, the February export shows a cancellation on 02-10, the March
    export a new first payment on 03-15 (premium): two spells, churned in February and
    reactivated in March, both in the KPI marts and the MRR marts; r's first payment
    stays 01-05. w's cancellation on 02-10 is cleared in the March export (the same
    first payment): withdrawn, so w never churned and pays through."""
    membership = tmp_path / "membership"
    membership.mkdir()
    (tmp_path / "ga4").mkdir()
    for as_of, rows in RESUBSCRIPTIONS.items():
        path = membership / f"members_{as_of:%Y%m%d}.csv"
        path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
        end = dt.datetime.combine(as_of, dt.time(23, 59, 59), SEOUL).timestamp()
        os.utime(path, (end, end))
    members = ref.members_frame(membership).set_index("member_id")
    assert members.loc["r", "spells"] == [(dt.date(2025, 1, 5), dt.date(2025, 2, 10)), (dt.date(2025, 3, 15), None)]
    assert (members.loc["r", "fp"], members.loc["r", "c"]) == (dt.date(2025, 1, 5), None)
    assert members.loc["w", "spells"] == [(dt.date(2025, 1, 5), None)]

    events = ref.ga4_events_frame(tmp_path / "ga4")
    kpis = ref.kpis(members.reset_index(), events, "month",
                    membership_as_of=ref.membership_as_of_date(membership)).set_index("month_start")
    march, february = kpis.loc[dt.date(2025, 3, 1)], kpis.loc[dt.date(2025, 2, 1)]
    assert (february["churned_members"], february["paying_members_end"]) == (1, 1)
    assert (march["new_paying_members"], march["reactivated_members"], march["paying_members_end"]) == (0, 1, 2)

    revenue = rev.compute_revenue(membership, members.reset_index(), events)
    moves = {(r["member_id"], r["month_start"].month): (r["movement"], r["mrr"])
             for r in revenue["fct_member_mrr_monthly"].to_dict("records")}
    assert moves[("r", 2)] == ("churned", 0) and moves[("r", 3)] == ("reactivation", 19900)
    assert moves[("w", 2)] == ("retained", 9900) and moves[("w", 3)] == ("retained", 9900)
    monthly = revenue["fct_mrr_monthly"].set_index("month_start").loc[dt.date(2025, 3, 1)]
    assert (monthly["new_mrr"], monthly["reactivation_mrr"], monthly["churned_mrr"]) == (0, 19900, 0)
    assert monthly["paying_members_end"] == march["paying_members_end"]


def test_revenue_cohorts_cap_an_upgrade_in_gross_retention_only(folder: Path) -> None:
    """The January cohort (u, a, l, c, e) pays 58,850 in January. In February u has
    upgraded 9,900 -> 19,900 and c churned: mrr 58,950, net retention above 1, but gross
    retention counts u at its first 9,900 only: (9,900 + 8,250 + 10,900 + 0 + 19,900) /
    58,850. q pays and cancels within February: a cohort of one with no MRR, ratios null."""
    cohorts = _revenue(folder)["fct_revenue_cohorts_monthly"]
    cells = {(r["cohort_month"].month, r["months_since_first_payment"]): r for r in cohorts.to_dict("records")}
    assert set(cells) == {(1, 0), (1, 1), (2, 0)}
    january, february = cells[(1, 0)], cells[(1, 1)]
    assert (january["cohort_members"], january["cohort_mrr"], january["retained_members"]) == (5, 58850, 5)
    assert (february["mrr"], february["retained_members"], february["cumulative_revenue"]) == (58950, 4, 117800)
    assert math.isclose(february["net_mrr_retention"], 58950 / 58850)
    assert math.isclose(february["gross_mrr_retention"], 48950 / 58850)
    q = cells[(2, 0)]
    assert (q["cohort_members"], q["cohort_mrr"], q["retained_members"]) == (1, 0, 0)
    assert pd.isna(q["net_mrr_retention"]) and pd.isna(q["gross_mrr_retention"])


def test_mrr_by_plan_sums_to_the_month(folder: Path) -> None:
    revenue = _revenue(folder)
    by_plan = revenue["fct_mrr_by_plan_monthly"]
    february = {r["plan"]: (r["paying_members_end"], r["mrr_end"], r["arppu"])
                for r in by_plan[by_plan["month_start"] == dt.date(2025, 2, 1)].to_dict("records")}
    assert february == {"premium": (2, 39800, 19900), "annual": (1, 8250, 8250), "monthly": (1, 10900, 10900)}
    monthly = revenue["fct_mrr_monthly"].set_index("month_start")
    for month, rows in by_plan.groupby("month_start"):
        assert rows["paying_members_end"].sum() == monthly.loc[month, "paying_members_end"]
        assert math.isclose(rows["mrr_end"].sum(), monthly.loc[month, "mrr_end"])


def test_channel_value_gives_no_ltv_without_churn_or_in_a_running_month(folder: Path) -> None:
    """Every member of the fixture is in one group, (not linked). January has no churn,
    so no LTV estimate. February has c's churn (1 of the 5 paying at its start; q started
    and stopped within it, so it counts in churned_members only), but it is still
    running (the as-of date is q's cancellation, 02-20): no estimate either."""
    members = ref.members_frame(folder / "membership")
    events = ref.ga4_events_frame(folder / "ga4")
    acquired = pd.DataFrame({"member_id": members["member_id"], "first_user_channel_group": "(not linked)"})
    rows = rev.channel_value_monthly(folder / "membership", members, events, acquired).to_dict("records")
    january, february = rows
    assert january["is_complete_period"] and pd.isna(january["logo_churn_rate"])
    assert pd.isna(january["ltv_estimate"])
    assert (february["paying_members_start"], february["churned_members"], february["paying_members_end"]) == (5, 2, 4)
    assert february["logo_churn_rate"] == 1 / 5
    assert not february["is_complete_period"] and pd.isna(february["ltv_estimate"])
    assert (january["cumulative_revenue"], february["cumulative_revenue"]) == (58850, 58850 + 58950)


def _ga4_event_on(folder: Path, day: dt.date) -> None:
    """One GA4 daily table holding one active user's event on `day`."""
    pq.write_table(pa.table({
        "event_date": [f"{day:%Y%m%d}"], "event_name": ["user_engagement"], "user_pseudo_id": ["p1"],
        "is_active_user": [True], "event_params": [[]],
    }), folder / "ga4" / f"events_{day:%Y%m%d}.parquet")


def test_months_past_the_membership_as_of_date_are_unknown(folder: Path) -> None:
    """GA4 runs to 04-02, the newest export is as of 02-28: March and April start after
    the membership as-of date. fct_mrr_monthly and the channel value keep their rows with
    every figure None (not the February states carried on); no member-month, plan row or
    cohort cell is measured in them, so nobody churns in March either."""
    _ga4_event_on(folder, dt.date(2025, 4, 2))
    revenue = _revenue(folder)
    monthly = revenue["fct_mrr_monthly"].set_index("month_start")
    assert list(monthly.index) == [dt.date(2025, m, 1) for m in (1, 2, 3, 4)]
    assert (monthly.loc[dt.date(2025, 2, 1), "mrr_end"], monthly.loc[dt.date(2025, 2, 1), "paying_members_end"]) \
        == (58950, 4)
    for month in (dt.date(2025, 3, 1), dt.date(2025, 4, 1)):
        assert all(pd.isna(monthly.loc[month, figure]) for figure in rev.MRR_FIGURES), monthly.loc[month]
    assert {m.month for m in revenue["fct_member_mrr_monthly"]["month_start"]} == {1, 2}
    assert {m.month for m in revenue["fct_mrr_by_plan_monthly"]["month_start"]} == {1, 2}
    cohorts = revenue["fct_revenue_cohorts_monthly"]
    assert set(zip(cohorts["cohort_month"].map(lambda d: d.month), cohorts["months_since_first_payment"])) \
        == {(1, 0), (1, 1), (2, 0)}

    members = ref.members_frame(folder / "membership")
    acquired = pd.DataFrame({"member_id": members["member_id"], "first_user_channel_group": "(not linked)"})
    channel = rev.channel_value_monthly(folder / "membership", members, ref.ga4_events_frame(folder / "ga4"),
                                        acquired).set_index("month_start")
    assert channel.loc[dt.date(2025, 2, 1), "cumulative_revenue"] == 58850 + 58950
    for month in (dt.date(2025, 3, 1), dt.date(2025, 4, 1)):
        assert all(pd.isna(channel.loc[month, figure]) for figure in rev.CHANNEL_FIGURES), channel.loc[month]


def test_a_month_holding_the_membership_as_of_date_keeps_its_figures(folder: Path) -> None:
    """The February export modified on 03-10 (Seoul): March starts before the membership
    as-of date and ends after it, so it is partial and priced with the states of the
    newest export, like any month; April is unknown. February's end now reads the
    January export (u still monthly at 9,900), so u's upgrade shows in March."""
    _ga4_event_on(folder, dt.date(2025, 4, 2))
    later = dt.datetime(2025, 3, 10, 12, 0, tzinfo=SEOUL).timestamp()
    os.utime(folder / "membership" / "members_20250228.csv", (later, later))
    revenue = _revenue(folder)
    march = revenue["fct_mrr_monthly"].set_index("month_start").loc[dt.date(2025, 3, 1)]
    assert (march["mrr_start"], march["expansion_mrr"], march["mrr_end"], march["paying_members_end"]) \
        == (48950, 10000, 58950, 4)
    moves = revenue["fct_member_mrr_monthly"]
    in_march = moves[moves["month_start"] == dt.date(2025, 3, 1)]
    assert dict(zip(in_march["member_id"], in_march["movement"])) == {
        "u": "expansion", "a": "retained", "l": "retained", "e": "retained"}
    april = revenue["fct_mrr_monthly"].set_index("month_start").loc[dt.date(2025, 4, 1)]
    assert pd.isna(april["mrr_end"]) and pd.isna(april["paying_members_end"])
