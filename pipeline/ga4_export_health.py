"""The run summary's one line on the GA4 export's health.

fct_ga4__export_days carries three warn-level data tests (a missing day, a short
day, a day at Google's daily export limit). Each warning is listed with its rows
like any other; this line says in one sentence what they mean together, since a
missing or half-exported day otherwise reads as a real dip in every active-user
figure.
"""

from __future__ import annotations

from typing import Any

# The tests' names in dbt_project/models/marts/fct_ga4__export_days.yml, and what a
# day failing each one is.
# (one, several) days.
EXPORT_HEALTH_TESTS = {
    "ga4_export_day_missing": ("missing day", "missing days"),
    "ga4_export_day_short": ("short day", "short days"),
    "ga4_export_day_at_cap": ("day at the daily export limit", "days at the daily export limit"),
}


def export_health_line(problems: list[dict[str, Any]]) -> str | None:
    """One line naming the export days the health tests found, or None when none warned."""
    parts = []
    for name, (one, several) in EXPORT_HEALTH_TESTS.items():
        problem = next((p for p in problems if p["name"] == name and p["kind"] == "data_tests"), None)
        if problem is None:
            continue
        days = [str(row.get("export_date"))[:10] for row in problem.get("failing_rows", [])]
        count = problem.get("failures") or len(days)
        shown = ", ".join(days) + (", ..." if count > len(days) else "")
        parts.append(f"{count} {one if count == 1 else several}" + (f" ({shown})" if days else ""))
    if not parts:
        return None
    return ("GA4 export: " + "; ".join(parts) + ". Active-user figures whose window holds such a day are "
            "flagged (fct_ga4__export_days, fct_ga4__active_users_daily).")
