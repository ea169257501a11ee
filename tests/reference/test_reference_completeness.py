"""The reference computation's completeness columns (tests/reference_metrics.py,
reading 10), counted by hand on data small enough to follow: each source's as-of
date, partial periods, nulls past a source's data, signup_to_paid_rate's and the
retention cells' maturity, the GA4 warm-up flags and churn_rate's own count."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tests.reference.reference_metrics as ref

SEOUL = ZoneInfo("Asia/Seoul")
D = dt.date


@pytest.fixture()
def ga4_ends_first(tmp_path: Path) -> tuple[Path, Path]:
    """Membership exported as of 2025-04-20; GA4's daily tables stop on 2025-03-12."""
    membership, ga4 = tmp_path / "membership", tmp_path / "ga4"
    membership.mkdir()
    ga4.mkdir()
    export = membership / "members_20250420.csv"
    export.write_text(
        "member_id,signup_at,first_paid_at,canceled_at\n"
        "m1,2025-03-03 10:00,2025-03-05 10:00,\n"
        "m2,2025-03-04 10:00,2025-03-06 10:00,2025-04-10 10:00\n"
        "m3,2025-04-07 10:00,2025-04-08 10:00,2025-04-09 10:00\n"  # pays and stops in one month
        "m4,2025-04-14 10:00,,\n",
        encoding="utf-8",
    )
    end = dt.datetime(2025, 4, 20, 23, 59, 59, tzinfo=SEOUL).timestamp()
    os.utime(export, (end, end))
    for day, user, name in (("20250303", "u1", "first_visit"), ("20250312", "u2", "user_engagement")):
        pq.write_table(pa.table({
            "event_date": [day], "event_name": [name], "user_pseudo_id": [user],
            "is_active_user": [True], "event_params": [[]],
        }), ga4 / f"events_{day}.parquet")
    return membership, ga4


def test_the_membership_as_of_date_is_the_newest_exports_date(ga4_ends_first: tuple[Path, Path]) -> None:
    assert ref.membership_as_of_date(ga4_ends_first[0]) == D(2025, 4, 20)


def test_a_week_past_ga4s_as_of_date_has_null_ga4_figures(ga4_ends_first: tuple[Path, Path]) -> None:
    weekly = ref.compute_all(*ga4_ends_first)["fct_kpis_weekly"].set_index("week_start")
    assert set(weekly["membership_as_of_date"]) == {D(2025, 4, 20)}
    assert set(weekly["ga4_as_of_date"]) == {D(2025, 3, 12)}
    first, second, third = weekly.loc[D(2025, 3, 3)], weekly.loc[D(2025, 3, 10)], weekly.loc[D(2025, 3, 17)]
    assert (first.active_users, bool(first.is_ga4_partial), bool(first.is_membership_partial)) == (1, False, False)
    assert (second.active_users, bool(second.is_ga4_partial)) == (1, True)  # GA4 stops on Wednesday
    # Nothing of GA4 after 03-12: unknown, not zero; the membership figures still count.
    assert pd.isna(third.active_users) and pd.isna(third.new_users) and pd.isna(third.signup_conversion_rate)
    assert bool(third.is_ga4_partial) and not bool(third.is_membership_partial)
    assert third.signups == 0 and third.paying_members_end == 2


def test_signup_to_paid_is_mature_once_the_window_has_passed(ga4_ends_first: tuple[Path, Path]) -> None:
    results = ref.compute_all(*ga4_ends_first)
    weekly = results["fct_kpis_weekly"].set_index("week_start")
    # Week of 04-07 ends 04-13; 04-13 + 7 days = 04-20, the as-of date: mature.
    assert bool(weekly.loc[D(2025, 4, 7), "is_signup_to_paid_rate_mature"])
    # Week of 04-14 ends 04-20: its signups have had no time yet.
    assert not bool(weekly.loc[D(2025, 4, 14), "is_signup_to_paid_rate_mature"])
    monthly = results["fct_kpis_monthly"].set_index("month_start")
    assert bool(monthly.loc[D(2025, 3, 1), "is_signup_to_paid_rate_mature"])
    april = monthly.loc[D(2025, 4, 1)]
    assert not bool(april.is_signup_to_paid_rate_mature) and bool(april.is_membership_partial)
    acquisition = results["fct_acquisition_monthly"]
    by_month = acquisition.groupby("month_start")["is_signup_to_paid_rate_mature"].agg(set).to_dict()
    assert by_month == {D(2025, 3, 1): {True}, D(2025, 4, 1): {False}}


def test_churn_rate_is_its_own_count_over_paying_at_the_start(ga4_ends_first: tuple[Path, Path]) -> None:
    april = ref.compute_all(*ga4_ends_first)["fct_kpis_monthly"].set_index("month_start").loc[D(2025, 4, 1)]
    # m2 (paying since March) and m3 (paid 04-08, stopped 04-09) churn; only m2 was
    # paying on April 1st, so churn_rate is 1 of the 2 paying then.
    assert (april.churned_members, april.churned_from_start_members, april.paying_members_start) == (2, 1, 2)
    assert april.churn_rate == april.churned_from_start_members / april.paying_members_start == 0.5


def test_retention_cells_are_mature_when_their_month_has_ended(ga4_ends_first: tuple[Path, Path]) -> None:
    cohorts = ref.compute_all(*ga4_ends_first)["fct_retention_cohorts_monthly"]
    mature = {(r["cohort_month"], r["months_since_first_payment"]): r["is_mature"]
              for r in cohorts.to_dict("records")}
    assert mature == {(D(2025, 3, 1), 0): True, (D(2025, 3, 1), 1): False, (D(2025, 4, 1), 0): False}


def test_the_rolling_windows_warm_up_from_the_first_ga4_day(ga4_ends_first: tuple[Path, Path]) -> None:
    daily = ref.compute_all(*ga4_ends_first)["fct_ga4__active_users_daily"].set_index("event_date")
    wau = daily["is_wau_warm_up"].to_dict()
    assert [d for d, flag in wau.items() if flag] == [D(2025, 3, 3) + dt.timedelta(days=i) for i in range(6)]
    assert bool(daily["is_mau_warm_up"].all())  # ten days of GA4: the 28-day window never fills
    assert daily.loc[D(2025, 3, 3), "stickiness"] == 1.0  # the warm-up artefact the flag marks


def test_a_period_past_the_membership_as_of_date_has_null_membership_figures(
        ga4_ends_first: tuple[Path, Path]) -> None:
    """GA4 running past the latest export: its weeks have GA4 figures and no membership ones."""
    membership, ga4 = ga4_ends_first
    pq.write_table(pa.table({
        "event_date": ["20250428"], "event_name": ["user_engagement"], "user_pseudo_id": ["u9"],
        "is_active_user": [True], "event_params": [[]],
    }), ga4 / "events_20250428.parquet")
    weekly = ref.compute_all(membership, ga4)["fct_kpis_weekly"].set_index("week_start")
    late = weekly.loc[D(2025, 4, 28)]
    assert late.active_users == 1 and bool(late.is_membership_partial)
    for column in ("signups", "paying_members_end", "churned_members", "churned_from_start_members",
                   "churn_rate", "signup_to_paid_rate", "signup_conversion_rate"):
        assert pd.isna(late[column]), column
    # The week before, 04-21 to 04-27, starts after 04-20 as well.
    assert pd.isna(weekly.loc[D(2025, 4, 21), "signups"])


def test_the_acquisition_funnel_is_null_where_its_sources_have_no_data(ga4_ends_first: tuple[Path, Path]) -> None:
    weekly = ref.compute_all(*ga4_ends_first)["fct_acquisition_weekly"]
    late = weekly[weekly["week_start"] == D(2025, 3, 17)]
    assert len(late) > 0 and late["new_users"].isna().all() and late["signup_rate"].isna().all()
    assert (late["signups"] == 0).all()  # the membership data reaches this week
    early = weekly[weekly["week_start"] == D(2025, 3, 3)]
    assert early["new_users"].sum() == 1  # u1's first visit
