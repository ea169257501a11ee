"""The short table at the top of the report: the latest complete week and month,
each against the period before it.

Some rows compare other periods than their column's (PERIOD_RULES): a rate that
can still grow compares the latest periods where it is mature, and a GA4 figure the
latest periods the GA4 export covers in full, so that neither reads as a fall that
is not one. Such a cell names its own period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.report.marts import Mart

# (label, mart column, kind); kind decides how a value and its change are written.
WEEK_METRICS = [
    ("signups", "signups", "count"),
    ("new paying members", "new_paying_members", "count"),
    ("churned members", "churned_members", "count"),
    ("paying members at the end", "paying_members_end", "count"),
    ("churned of those paying at the start", "churned_from_start_members", "count"),
    ("churn rate", "churn_rate", "rate"),
    ("active users", "active_users", "count"),
    ("signup-to-paid rate", "signup_to_paid_rate", "rate"),
]
MRR_METRICS = [("MRR at the end", "mrr_end", "amount"), ("ARPPU", "arppu", "amount")]
GA4_COLUMNS = frozenset({"active_users"})  # left out of the table when GA4 is not configured
# column -> (flag column, the value a period needs in it to be compared) beside being
# complete. A mart without the flag column compares its complete periods.
PERIOD_RULES = {
    "signup_to_paid_rate": ("is_signup_to_paid_rate_mature", True),
    "active_users": ("is_ga4_partial", False),
}
# Printed under the table: why churned members and churn rate's count differ.
CHURN_NOTE = ("churn rate = churned of those paying at the start / paying members at the start. "
              "churned members also counts members who started and stopped paying within the same "
              "period, who were not paying at its start.")


@dataclass
class Period:
    """The latest complete period of a mart and the one before it (None if absent)."""

    mart: str
    key: str
    current: dict[str, Any] | None
    previous: dict[str, Any] | None


def latest_complete(mart: Mart, key: str, rule: tuple[str, bool] | None = None) -> Period:
    """The latest two complete periods; with `rule` (flag column, wanted value), the
    latest two complete periods whose flag has that value."""
    complete = [r for r in mart.rows if r.get("is_complete_period")
                and (rule is None or rule[0] not in mart.columns or r.get(rule[0]) is rule[1])]
    complete.sort(key=lambda r: r[key])
    current = complete[-1] if complete else None
    previous = complete[-2] if len(complete) > 1 else None
    return Period(mart.name, key, current, previous)


def value_text(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "amount":
        return f"{value:,.0f}"
    return f"{value:,}"


def change_text(current: Any, previous: Any, kind: str) -> str:
    """The change against the period before: points for a rate, else the difference and percent."""
    if current is None or previous is None:
        return "n/a"
    difference = current - previous
    if kind == "rate":
        return f"{difference * 100:+.1f} pp"
    shown = f"{difference:+,.0f}" if kind == "amount" else f"{difference:+,}"
    if previous == 0:
        return shown
    return f"{shown} ({difference / previous:+.1%})"


def _period_note(grain: str, start: Any, previous: Any, column_start: Any, column: str) -> str:
    """Why a cell shows another period than its column's, or ''."""
    if start is None or start == column_start:
        return ""
    why = "the latest mature" if column == "signup_to_paid_rate" else "the latest with every day of GA4 data"
    against = f", change vs {previous}" if previous else ""
    return f"{grain} of {start}{against} ({why})"


def table(marts: dict[str, Mart], ga4: bool = True, currency: str | None = None) -> dict[str, Any]:
    """The table as data: its columns (week, month) and rows of cells.

    Each value is the mart's own figure, kept unformatted beside its text, so the page
    embeds exactly what the warehouse holds. `currency` labels the amounts.
    """
    periods: list[tuple[str, list[tuple[str, str, str]], Period | None]] = []
    columns = []
    for mart_name, key, metrics in (("fct_kpis_weekly", "week_start", WEEK_METRICS),
                                    ("fct_kpis_monthly", "month_start", WEEK_METRICS),
                                    ("fct_mrr_monthly", "month_start", MRR_METRICS)):
        mart = marts.get(mart_name)
        period = latest_complete(mart, key) if mart and mart.rows and key in mart.columns else None
        periods.append((mart_name, metrics, period))
    week, month, mrr = periods
    for grain, period in (("week", week[2]), ("month", month[2])):
        columns.append({"grain": grain, "mart": period.mart if period else None,
                        "start": period.current[period.key] if period and period.current else None,
                        "previous_start": period.previous[period.key] if period and period.previous else None})
    rows: list[dict[str, Any]] = []
    for label, column, kind in WEEK_METRICS + MRR_METRICS:
        if column in GA4_COLUMNS and not ga4:
            continue
        cells: list[dict[str, Any]] = []
        for grain, source in (("week", week), ("month", mrr if (label, column, kind) in MRR_METRICS else month)):
            mart_name, metrics, period = source
            column_start = period.current[period.key] if period and period.current else None
            if period and column in PERIOD_RULES and (mart := marts.get(mart_name)):
                period = latest_complete(mart, period.key, PERIOD_RULES[column])
            usable = period if ((label, column, kind) in metrics and period is not None
                                and period.current is not None and column in period.current) else None
            cells.append(_cell(grain, mart_name, column, kind, usable, column_start))
        if any(c["mart"] for c in cells):
            shown = f"{label} ({currency})" if kind == "amount" and currency else label
            rows.append({"label": shown, "kind": kind, "cells": cells})
    notes = [CHURN_NOTE] if any(r["cells"][0]["column"] == "churned_from_start_members" for r in rows) else []
    return {"columns": columns, "rows": rows, "notes": notes}


def _cell(grain: str, mart_name: str, column: str, kind: str, period: Period | None,
          column_start: Any) -> dict[str, Any]:
    """One cell of the table: the period's value and change, or an empty cell when the
    mart has no usable period for the column."""
    if period is None or period.current is None:
        return {"grain": grain, "mart": None, "column": column, "start": None, "value": None,
                "previous": None, "previous_start": None, "period_note": "", "value_text": "",
                "change_text": ""}
    current = period.current.get(column)
    previous = period.previous.get(column) if period.previous else None
    start = period.current[period.key]
    previous_start = period.previous[period.key] if period.previous else None
    return {"grain": grain, "mart": mart_name, "column": column, "start": start, "value": current,
            "previous": previous, "previous_start": previous_start,
            "period_note": _period_note(grain, start, previous_start, column_start, column),
            "value_text": value_text(current, kind), "change_text": change_text(current, previous, kind)}
