"""Reading the marts a report shows, through pipeline/warehouse.py (read-only).

A mart that does not exist yet, or has no rows, is not an error: its chart says so
on the page. Any other failure (credentials, a warehouse that does not answer) fails
the report step like any other step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pipeline import warehouse
from pipeline.settings import Settings


@dataclass
class Mart:
    """One mart as the report read it: its rows, or why there are none."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    problem: str | None = None  # a sentence for the page when the mart cannot be shown

    def lacking(self, needed: list[str]) -> str | None:
        """Why a chart needing `needed` cannot be drawn from this mart, or None."""
        if self.problem:
            return self.problem
        missing = [c for c in needed if c not in self.columns]
        if missing:
            return f"{self.name} has no column {', '.join(missing)}: rebuild it with this version of the project."
        return None


def _is_missing_relation(error: Exception) -> bool:
    """True when the warehouse says the table does not exist (DuckDB or BigQuery)."""
    if type(error).__name__ in {"CatalogException", "NotFound"}:
        return True
    text = str(error).lower()
    return "not found" in text and ("table" in text or "dataset" in text)


def read_mart(settings: Settings, name: str, order_by: list[str]) -> Mart:
    sql = f"select * from {warehouse.relation(settings, name)} order by {', '.join(order_by)}"
    try:
        names, rows = warehouse.query(settings, sql)
    except Exception as error:
        if not _is_missing_relation(error):
            raise
        return Mart(name, problem=f"{name} is not in the warehouse yet: a build of this project creates it.")
    records = [{n: warehouse.plain(v) for n, v in zip(names, row)} for row in rows]
    if not records:
        return Mart(name, columns=list(names), problem=f"{name} has no rows yet.")
    return Mart(name, rows=records, columns=list(names))


def as_of_date(marts: dict[str, Mart], members: Mart | None) -> dt.date | None:
    """The data's as-of date: the latest GA4 event date, signup, first payment or
    cancellation date present (docs/specification.md, "Periods and rows")."""
    candidates: list[str] = []
    daily = marts.get("fct_ga4__active_users_daily")
    if daily and daily.rows:
        candidates += [r["event_date"] for r in daily.rows if r.get("event_date")]
    if members and members.rows:
        candidates += [str(v) for r in members.rows for v in r.values() if v]
    return max((dt.date.fromisoformat(c[:10]) for c in candidates), default=None)


def read_member_dates(settings: Settings) -> Mart:
    """The latest member dates (one row), for the as-of date."""
    relation = warehouse.relation(settings, "dim_members")
    sql = (f"select max(signup_date) as signup_date, max(first_paid_date) as first_paid_date, "
           f"max(canceled_date) as canceled_date, max(resubscribed_date) as resubscribed_date from {relation}")
    try:
        names, rows = warehouse.query(settings, sql)
    except Exception as error:
        if not _is_missing_relation(error):
            raise
        return Mart("dim_members", problem="dim_members is not in the warehouse yet.")
    return Mart("dim_members", rows=[{n: warehouse.plain(v) for n, v in zip(names, r)} for r in rows],
                columns=list(names))
