"""The end-to-end test's independent computation, checked on data small enough to
count by hand against the metric definitions (dbt_project/models/docs/)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tests.reference.reference_metrics as ref

SEOUL = ZoneInfo("Asia/Seoul")
D = dt.date
# The exports' modification times, the last second of their as-of dates in Seoul: the
# newer one makes the membership data as of 2025-04-02.
OLDER_EXPORT_MTIME = int(dt.datetime(2025, 3, 31, 23, 59, 59, tzinfo=SEOUL).timestamp())
NEWER_EXPORT_MTIME = int(dt.datetime(2025, 4, 2, 23, 59, 59, tzinfo=SEOUL).timestamp())


@pytest.mark.parametrize(
    ("text", "expected_utc"),
    [
        ("2025-03-19 11:13:18", dt.datetime(2025, 3, 19, 2, 13, 18)),
        ("2025-03-19T02:13:18Z", dt.datetime(2025, 3, 19, 2, 13, 18)),
        ("2025-03-19T11:13:18+09:00", dt.datetime(2025, 3, 19, 2, 13, 18)),
        ("2025/03/19 11:13", dt.datetime(2025, 3, 19, 2, 13)),
        ("2025.03.19", dt.datetime(2025, 3, 18, 15, 0)),
        ("2025-03-19", dt.datetime(2025, 3, 18, 15, 0)),
    ],
)
def test_parses_every_listed_format(text: str, expected_utc: dt.datetime) -> None:
    parsed = ref.parse_datetime(text, SEOUL)
    assert parsed == expected_utc.replace(tzinfo=dt.UTC)


def test_a_utc_value_late_in_the_day_is_the_next_seoul_date() -> None:
    moment = ref.parse_datetime("2025-03-31T16:30:00Z", SEOUL)
    assert ref.local_date(moment, SEOUL) == D(2025, 4, 1)


def test_rejects_an_unlisted_format() -> None:
    with pytest.raises(ValueError):
        ref.parse_datetime("19/03/2025", SEOUL)


def _write(path: Path, text: str, encoding: str, mtime: int) -> None:
    path.write_bytes(text.encode(encoding))
    os.utime(path, (mtime, mtime))


@pytest.fixture()
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    membership, ga4 = tmp_path / "membership", tmp_path / "ga4"
    membership.mkdir()
    ga4.mkdir()
    # Older export, CP949 with Korean headers: m2 here is superseded by the newer export.
    _write(
        membership / "members_b.csv",
        "회원ID,가입일시,첫결제일시,해지일시,요금제\r\n"
        "m1,2025-03-03 10:00:00,2025-03-05,,monthly\r\n"
        "m2,2025-03-04,,,free\r\n"
        "\r\n"
        "bad,row\r\n",
        "cp949",
        OLDER_EXPORT_MTIME,
    )
    # Newer export (despite the earlier name), UTF-8 with BOM.
    _write(
        membership / "members_a.csv",
        "\ufeffMember_ID,signup_at,first_paid_at,canceled_at\n"
        "m2,2025-03-04,2025-03-20,2025-04-02\n"  # paid 16 days after signup, churns in April
        "m3,2025-03-10T15:30:00Z,2025-03-11,2025-03-09\n"  # s = 2025-03-11 Seoul; invalid: c < fp
        "m4,2025.04.01,2025/04/01 09:00,\n",
        "utf-8",
        NEWER_EXPORT_MTIME,
    )
    table = pa.table({
        "event_date": ["20250303", "20250303", "20250304", "20250401", "20250402"],
        "event_name": ["first_visit", "page_view", "page_view", "page_view", "user_engagement"],
        "user_pseudo_id": ["u1", "u2", "u1", "u3", "u4"],
        "is_active_user": [None, None, None, False, True],
        "event_params": [
            [],
            [{"key": "engagement_time_msec", "value": {"int_value": 0}}],
            [{"key": "engagement_time_msec", "value": {"int_value": 12}}],
            [{"key": "engagement_time_msec", "value": {"int_value": 99}}],
            [],
        ],
    })
    pq.write_table(table, ga4 / "events_20250303.parquet")
    return membership, ga4


def test_members_latest_export_wins_and_lifecycle(tiny: tuple[Path, Path]) -> None:
    members = ref.members_frame(tiny[0]).set_index("member_id")
    assert sorted(members.index) == ["m1", "m2", "m3", "m4"]
    assert members.loc["m2", "fp"] == D(2025, 3, 20)
    assert members.loc["m3", "s"] == D(2025, 3, 11)
    assert not members.loc["m3", "is_valid"]
    assert members.loc["m4", "fp"] == D(2025, 4, 1)


def test_monthly_kpis_by_hand(tiny: tuple[Path, Path]) -> None:
    results = ref.compute_all(*tiny)
    monthly = results["fct_kpis_monthly"].set_index("month_start")
    assert list(monthly.index) == [D(2025, 3, 1), D(2025, 4, 1)]
    march, april = monthly.loc[D(2025, 3, 1)], monthly.loc[D(2025, 4, 1)]
    # March: m1, m2, m3 sign up; m1 and m2 start paying (m3 is invalid); u1 active (first
    # visit, then engagement), u2 not (0 ms engagement).
    assert (march.signups, march.new_paying_members, march.paying_members_start) == (3, 2, 0)
    assert (march.paying_members_end, march.churned_members, march.active_users) == (2, 0, 1)
    assert march.new_users == 1
    assert pd_is_null(march.churn_rate)
    assert march.signup_conversion_rate == 3.0
    # m1 pays in 2 days, m2 in 16; m3 pays on its signup day but has an invalid
    # lifecycle: a signup (the denominator), not a conversion (the numerator).
    assert march.signup_to_paid_rate == pytest.approx(1 / 3)
    assert bool(march.is_complete_period)
    # April: m4 signs up and pays; m2 churns on 04-02; u3 has is_active_user false, u4 true.
    assert (april.signups, april.new_paying_members, april.paying_members_start) == (1, 1, 2)
    assert (april.churned_members, april.paying_members_end, april.active_users) == (1, 2, 1)
    assert april.churn_rate == 0.5
    assert april.signup_to_paid_rate == 1.0
    assert not bool(april.is_complete_period)  # as-of date is 2025-04-02


def test_retention_and_daily(tiny: tuple[Path, Path]) -> None:
    results = ref.compute_all(*tiny)
    cohorts = results["fct_retention_cohorts_monthly"]
    # Membership data as of 2025-04-02: the March cells are final, April's not yet.
    assert cohorts.values.tolist() == [
        [D(2025, 3, 1), 0, 2, 2, 1.0, True],
        [D(2025, 3, 1), 1, 2, 1, 0.5, False],
        [D(2025, 4, 1), 0, 1, 1, 1.0, False],
    ]
    daily = results["fct_ga4__active_users_daily"].set_index("event_date")
    assert len(daily) == 31  # 2025-03-03 .. 2025-04-02, zeros included
    assert daily.loc[D(2025, 3, 4), ["dau", "wau_7d", "mau_28d"]].tolist() == [1, 1, 1]
    assert daily.loc[D(2025, 3, 20), ["dau", "wau_7d", "mau_28d"]].tolist() == [0, 0, 1]
    assert pd_is_null(daily.loc[D(2025, 4, 1), "stickiness"])  # u1 left the 28-day window
    assert daily.loc[D(2025, 4, 2), ["dau", "mau_28d", "stickiness"]].tolist() == [1, 1, 1.0]


def test_weekly_rows_start_on_monday(tiny: tuple[Path, Path]) -> None:
    weekly = ref.compute_all(*tiny)["fct_kpis_weekly"]
    assert all(d.weekday() == 0 for d in weekly["week_start"])
    assert weekly["week_start"].iloc[0] == D(2025, 3, 3)
    assert weekly["period_end"].iloc[-1] == D(2025, 4, 6)
    assert len(weekly) == 5
    ended = weekly["paying_members_start"] + weekly["new_paying_members"] - weekly["churned_members"]
    assert ended.tolist() == weekly["paying_members_end"].tolist()


def pd_is_null(value: object) -> bool:
    return value is None or value != value


@pytest.mark.parametrize("header", ["plan_price", "Plan_Price_KRW", "요금", "결제금액"])
def test_plan_price_headers_map_onto_the_optional_canonical_column(tmp_path: Path, header: str) -> None:
    path = tmp_path / "members.csv"
    _write(path, f"member_id,signup_at,{header}\nm1,2025-03-03,\"9,900\"\n", "utf-8", 1_000)
    [record] = ref.read_export(path)
    assert record["plan_price"] == "9,900"
