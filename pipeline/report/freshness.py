"""How far each source reaches: the membership exports' and GA4's own as-of dates,
as the KPI marts carry them (docs blocks metric_membership_as_of_date and
metric_ga4_as_of_date), for the page's header."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.report.marts import Mart


@dataclass(frozen=True)
class SourceDates:
    membership: str | None  # ISO date, or None when the marts do not say
    ga4: str | None


def source_dates(marts: dict[str, Mart]) -> SourceDates:
    """Each source's as-of date from the first KPI mart that has the columns."""
    for name in ("fct_kpis_weekly", "fct_kpis_monthly"):
        mart = marts.get(name)
        if mart and mart.rows and "membership_as_of_date" in mart.columns:
            row = mart.rows[0]
            membership, ga4 = row.get("membership_as_of_date"), row.get("ga4_as_of_date")
            return SourceDates(str(membership)[:10] if membership else None, str(ga4)[:10] if ga4 else None)
    return SourceDates(None, None)
