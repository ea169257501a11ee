"""An independent computation of the revenue marts (MRR), for the end-to-end test.

Written from docs/specification.md, "Revenue (MRR)", and the docs blocks of
dbt_project/models/docs/revenue_metrics.md, not from the dbt SQL. It reads the
generated CSV exports and dbt_project/seeds/plans.csv directly; member lifecycles
(s, fp, c and validity) and the months come from tests/reference/reference_metrics.py, which
computes them from the same files.

Readings (docs/specification.md, "Readings we chose"):

1. An export's as-of date is its file's modification time (what the loader records
   as the object's last-modified time) as a date in the reporting time zone. Exports
   are ordered by modification time, then by path (the URI the loader records).
   Within one export a member's later row wins.
2. The state at the end of month m is the member's row in the latest export whose
   as-of date is on or before the month's last day; before the member's first export,
   the state that export gives (the rule applied on its as-of date).
3. plan is trimmed and lowercased (empty = none); plan_price is trimmed, thousands
   separators removed, and parsed as a decimal number; empty or not a number means
   the plan's list price from the seed.
4. A paying member whose state has a free (billing_months 0) or empty plan takes plan
   and price from their row in the earliest later export with a paid plan, if any.
5. mrr = price / billing_months for a valid payer paying at the month's last day (inside
   one of their paying spells, reference_metrics reading 9) with billing_months > 0,
   else 0; a plan missing from the seed gives 0.
6. fct_member_mrr_monthly.plan is the plan behind mrr when mrr > 0, else the plan
   behind previous_mrr (the plan a churned member paid).
7. A rise from 0 to a positive mrr is new in the member's first month with a positive
   mrr, and a reactivation in any later month.
8. The exports cover a month when it starts on or before the membership as-of date
   (the newest export's modification date, reference_metrics reading 10). A month
   they do not cover is unknown: fct_mrr_monthly and fct_channel_value_monthly keep
   its row with every figure None; fct_member_mrr_monthly, fct_mrr_by_plan_monthly
   and fct_revenue_cohorts_monthly have no row for it (a cohort cell is measured in
   a covered month only). A covered month that ends after the as-of date keeps its
   figures (the states at its last day, as for any month).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

import tests.reference.reference_metrics as ref

SEED_FILE = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "plans.csv"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churned", "retained")


@dataclass(frozen=True)
class Plan:
    billing_months: int
    list_price: float


@dataclass(frozen=True)
class StateRow:
    """One member's row in one export."""

    order: tuple[int, str]  # (mtime_ns, path): the exports' order
    as_of: dt.date
    plan: str | None
    price: float | None


def read_plans(path: Path = SEED_FILE) -> dict[str, Plan]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["plan"].strip().lower(): Plan(int(row["billing_months"]), float(row["list_price"]))
                for row in csv.DictReader(f)}


def parse_price(text: str | None) -> float | None:
    """A plan_price text as a number; None when empty or not a number."""
    cleaned = (text or "").replace(",", "").strip()
    return float(cleaned) if _NUMBER.match(cleaned) else None


def member_histories(membership_dir: Path, settings: ref.Settings = ref.Settings()) -> dict[str, list[StateRow]]:
    """Per member, their row in every export that holds them, in the exports' order."""
    reporting_tz = ZoneInfo(settings.reporting_timezone)
    histories: dict[str, list[StateRow]] = defaultdict(list)
    paths = [p for p in Path(membership_dir).iterdir() if p.suffix.lower() == ".csv"]
    for path in sorted(paths, key=lambda p: (os.stat(p).st_mtime_ns, str(p.resolve()))):
        mtime = os.stat(path).st_mtime
        as_of = dt.datetime.fromtimestamp(mtime, tz=dt.UTC).astimezone(reporting_tz).date()
        order = (os.stat(path).st_mtime_ns, str(path.resolve()))
        rows: dict[str, StateRow] = {}
        for record in ref.read_export(path):
            member_id = (record.get("member_id") or "").strip()
            if not member_id:
                continue
            plan = (record.get("plan") or "").strip().lower() or None
            rows[member_id] = StateRow(order, as_of, plan, parse_price(record.get("plan_price")))
        for member_id, row in rows.items():
            histories[member_id].append(row)
    return histories


def state_at(history: list[StateRow], month_end: dt.date, plans: dict[str, Plan]) -> tuple[str | None, float]:
    """(plan, price) of the member's state at `month_end` (readings 2 to 4)."""
    day = max(month_end, history[0].as_of)
    position = max(i for i, row in enumerate(history) if row.as_of <= day)
    row = history[position]
    if row.plan is None or (row.plan in plans and plans[row.plan].billing_months == 0):
        later = [r for r in history[position + 1:] if r.plan in plans and plans[r.plan].billing_months > 0]
        if later:
            row = later[0]
    if row.plan not in plans:
        return row.plan, 0.0
    price = row.price if row.price is not None else plans[row.plan].list_price
    return row.plan, price


MemberMonths = dict[tuple[str, dt.date], tuple[str | None, float]]


def covered_months(months: pd.DataFrame, membership_as_of: dt.date | None) -> pd.DataFrame:
    """The rows of `months` the exports cover (reading 8); none without an export."""
    if membership_as_of is None:
        return months.iloc[0:0]
    return months[months["month_start"] <= membership_as_of]


def monthly_mrr(membership_dir: Path, members: pd.DataFrame, months: pd.DataFrame,
                settings: ref.Settings = ref.Settings(), plans: dict[str, Plan] | None = None) -> MemberMonths:
    """mrr(member, m) and its plan for every member-month of `months` (fct_kpis_monthly's
    rows) where the member is a valid payer paying at the month's end."""
    plans = read_plans() if plans is None else plans
    histories = member_histories(membership_dir, settings)
    mrr: MemberMonths = {}
    for m in members.to_dict("records"):
        if not m["is_valid"] or m["fp"] is None:
            continue
        for ms, me in zip(months["month_start"], months["period_end"]):
            if ref.paying_on(m["spells"], me):
                plan, price = state_at(histories[m["member_id"]], me, plans)
                billing = plans[plan].billing_months if plan in plans else 0
                mrr[(m["member_id"], ms)] = (plan, price / billing if billing > 0 else 0.0)
    return mrr


def movement(previous: float, current: float, paid_before: bool = False) -> str:
    """`paid_before`: the member had a positive mrr in a month before the previous one."""
    if previous == 0:
        return "reactivation" if paid_before else "new"
    if current == 0:
        return "churned"
    if current > previous:
        return "expansion"
    if current < previous:
        return "contraction"
    return "retained"


def member_mrr_monthly(months: pd.DataFrame, mrr: MemberMonths) -> pd.DataFrame:
    """fct_member_mrr_monthly: (member, month) where mrr(m-1) > 0 or mrr(m) > 0."""
    starts = list(months["month_start"])
    members = sorted({member for member, _ in mrr})
    rows = []
    for member in members:
        paid_before = False
        for i, ms in enumerate(starts):
            plan, current = mrr.get((member, ms), (None, 0.0))
            before_plan, previous = mrr.get((member, starts[i - 1]), (None, 0.0)) if i else (None, 0.0)
            if i > 1 and mrr.get((member, starts[i - 2]), (None, 0.0))[1] > 0:
                paid_before = True
            if previous > 0 or current > 0:
                rows.append({
                    "member_id": member,
                    "month_start": ms,
                    "plan": plan if current > 0 else before_plan,
                    "mrr": current,
                    "previous_mrr": previous,
                    "movement": movement(previous, current, paid_before),
                })
    return pd.DataFrame(rows, columns=["member_id", "month_start", "plan", "mrr", "previous_mrr", "movement"])


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


MRR_FIGURES = ("mrr_start", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr",
               "mrr_end", "paying_members_end", "arppu", "gross_mrr_churn_rate", "net_mrr_retention", "quick_ratio")


def mrr_monthly(months: pd.DataFrame, mrr: MemberMonths,
                member_months: pd.DataFrame, membership_as_of: dt.date | None) -> pd.DataFrame:
    """fct_mrr_monthly: one row per month of fct_kpis_monthly; every figure None in a
    month the exports do not cover (reading 8)."""
    known = set(covered_months(months, membership_as_of)["month_start"])
    rows = []
    for month in months.to_dict("records"):
        ms = month["month_start"]
        if ms not in known:
            rows.append({"month_start": ms, "is_complete_period": month["is_complete_period"],
                         **dict.fromkeys(MRR_FIGURES)})
            continue
        these = member_months[member_months["month_start"] == ms]

        def total(kind: str, amount: pd.Series, these: pd.DataFrame = these) -> float:
            return float(amount[these["movement"] == kind].sum())

        grow = these["mrr"] - these["previous_mrr"]
        new = total("new", these["mrr"])
        expansion = total("expansion", grow)
        reactivation = total("reactivation", these["mrr"])
        contraction = total("contraction", -grow)
        churned = total("churned", these["previous_mrr"])
        start = float(these["previous_mrr"].sum())
        end = float(sum(amount for (_, m), (_, amount) in mrr.items() if m == ms))
        paying = sum(1 for (_, m) in mrr if m == ms)
        rows.append({
            "month_start": ms,
            "is_complete_period": month["is_complete_period"],
            "mrr_start": start,
            "new_mrr": new,
            "expansion_mrr": expansion,
            "reactivation_mrr": reactivation,
            "contraction_mrr": contraction,
            "churned_mrr": churned,
            "mrr_end": end,
            "paying_members_end": paying,
            "arppu": _ratio(end, paying),
            "gross_mrr_churn_rate": _ratio(churned + contraction, start),
            "net_mrr_retention": _ratio(start + expansion - contraction - churned, start),
            "quick_ratio": _ratio(new + expansion + reactivation, churned + contraction),
        })
    return pd.DataFrame(rows)


def mrr_by_plan_monthly(months: pd.DataFrame, mrr: MemberMonths) -> pd.DataFrame:
    """fct_mrr_by_plan_monthly: one row per (month, plan) with a paying member at its end;
    an empty plan is '(none)'."""
    complete = dict(zip(months["month_start"], months["is_complete_period"]))
    groups: dict[tuple[dt.date, str], list[float]] = defaultdict(list)
    for (_, ms), (plan, amount) in mrr.items():
        groups[(ms, plan if plan is not None else "(none)")].append(amount)
    rows = [{
        "month_start": ms,
        "plan": plan,
        "is_complete_period": complete[ms],
        "paying_members_end": len(amounts),
        "mrr_end": float(sum(amounts)),
        "arppu": float(sum(amounts)) / len(amounts),
    } for (ms, plan), amounts in sorted(groups.items())]
    return pd.DataFrame(rows, columns=["month_start", "plan", "is_complete_period", "paying_members_end",
                                       "mrr_end", "arppu"])


def revenue_cohorts_monthly(members: pd.DataFrame, months: pd.DataFrame, mrr: MemberMonths) -> pd.DataFrame:
    """fct_revenue_cohorts_monthly: per (cohort month of fp, k), for valid payers whose
    cohort month is one of `months`."""
    starts = list(months["month_start"])
    complete = dict(zip(starts, months["is_complete_period"]))
    cohorts: dict[dt.date, list[str]] = defaultdict(list)
    for m in members.to_dict("records"):
        if m["is_valid"] and m["fp"] is not None and ref.month_start(m["fp"]) in complete:
            cohorts[ref.month_start(m["fp"])].append(m["member_id"])
    rows = []
    for cohort, ids in sorted(cohorts.items()):
        first = {i: mrr.get((i, cohort), (None, 0.0))[1] for i in ids}
        cohort_mrr = sum(first.values())
        cumulative = 0.0
        for k, ms in enumerate(s for s in starts if s >= cohort):
            amounts = {i: mrr[(i, ms)][1] for i in ids if (i, ms) in mrr}
            total = sum(amounts.values())
            cumulative += total
            capped = sum(min(amount, first[i]) for i, amount in amounts.items())
            rows.append({
                "cohort_month": cohort,
                "months_since_first_payment": k,
                "is_complete_period": complete[ms],
                "cohort_members": len(ids),
                "cohort_mrr": cohort_mrr,
                "retained_members": len(amounts),
                "mrr": total,
                "net_mrr_retention": _ratio(total, cohort_mrr),
                "gross_mrr_retention": _ratio(capped, cohort_mrr),
                "cumulative_revenue": cumulative,
            })
    return pd.DataFrame(rows, columns=[
        "cohort_month", "months_since_first_payment", "is_complete_period", "cohort_members", "cohort_mrr",
        "retained_members", "mrr", "net_mrr_retention", "gross_mrr_retention", "cumulative_revenue"])


CHANNEL_FIGURES = ("new_paying_members", "reactivated_members", "churned_members", "paying_members_start",
                   "paying_members_end", "mrr_end", "arppu", "cumulative_revenue", "logo_churn_rate",
                   "ltv_estimate")


def channel_value_monthly(membership_dir: Path, members: pd.DataFrame, events: pd.DataFrame,
                          acquired: pd.DataFrame, settings: ref.Settings = ref.Settings()) -> pd.DataFrame:
    """fct_channel_value_monthly: per (month, first-user channel group of `acquired`);
    every figure None in a month the exports do not cover (reading 8)."""
    months = ref.kpis(members, events, "month", settings)
    known = covered_months(months, ref.membership_as_of_date(membership_dir, settings))
    mrr = monthly_mrr(membership_dir, members, known, settings)
    known_starts = set(known["month_start"])
    group_of = dict(zip(acquired["member_id"], acquired["first_user_channel_group"]))
    valid = [m for m in members.to_dict("records") if m["is_valid"]]
    rows = []
    for group in sorted(set(group_of.values())):
        people = [m for m in valid if group_of[m["member_id"]] == group]
        cumulative = 0.0
        history: list[tuple[int, int]] = []  # (churned from start, paying at start) per month
        for month in months.to_dict("records"):
            ps, pe = month["month_start"], month["period_end"]
            if ps not in known_starts:
                rows.append({"month_start": ps, "channel_group": group,
                             "is_complete_period": month["is_complete_period"], **dict.fromkeys(CHANNEL_FIGURES)})
                continue
            before = ps - dt.timedelta(days=1)
            starting = [m for m in people if ref.paying_on(m["spells"], before)]
            churned_from_start = sum(
                1 for m in starting
                if any(a <= before and b is not None and ps <= b <= pe for a, b in m["spells"]))
            paying_end = sum(1 for m in people if ref.paying_on(m["spells"], pe))
            mrr_end = float(sum(mrr.get((m["member_id"], ps), (None, 0.0))[1] for m in people))
            cumulative += mrr_end
            history.append((churned_from_start, len(starting)))
            churned_3 = sum(c for c, _ in history[-3:])
            paying_3 = sum(p for _, p in history[-3:])
            arppu = _ratio(mrr_end, paying_end)
            ltv = (arppu / (churned_3 / paying_3)
                   if month["is_complete_period"] and churned_3 > 0 and arppu is not None else None)
            rows.append({
                "month_start": ps,
                "channel_group": group,
                "is_complete_period": month["is_complete_period"],
                "new_paying_members": sum(1 for m in people if m["fp"] is not None and ps <= m["fp"] <= pe),
                "reactivated_members": sum(1 for m in people for a, _ in m["spells"][1:] if ps <= a <= pe),
                "churned_members": sum(1 for m in people for _, b in m["spells"] if b is not None and ps <= b <= pe),
                "paying_members_start": len(starting),
                "paying_members_end": paying_end,
                "mrr_end": mrr_end,
                "arppu": arppu,
                "cumulative_revenue": cumulative,
                "logo_churn_rate": _ratio(churned_from_start, len(starting)),
                "ltv_estimate": ltv,
            })
    return pd.DataFrame(rows)


def compute_revenue(membership_dir: Path, members: pd.DataFrame, events: pd.DataFrame,
                    settings: ref.Settings = ref.Settings()) -> dict[str, pd.DataFrame]:
    """The revenue marts but channel value, keyed by model name, from reference_metrics'
    members and GA4 events (which decide the months) and the exports (which decide the
    months they cover, reading 8)."""
    months = ref.kpis(members, events, "month", settings)
    as_of = ref.membership_as_of_date(membership_dir, settings)
    known = covered_months(months, as_of)
    mrr = monthly_mrr(membership_dir, members, known, settings)
    member_months = member_mrr_monthly(known, mrr)
    return {
        "fct_mrr_monthly": mrr_monthly(months, mrr, member_months, as_of),
        "fct_member_mrr_monthly": member_months,
        "fct_mrr_by_plan_monthly": mrr_by_plan_monthly(known, mrr),
        "fct_revenue_cohorts_monthly": revenue_cohorts_monthly(members, known, mrr),
    }
