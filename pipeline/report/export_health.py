"""The report's GA4 export-health chart: events per daily table, and the days the
export-health tests warn about, marked.

A day without a daily table, a short day and a day at Google's daily export limit
(fct_ga4__export_days) otherwise read as real dips of the active-user chart above
it; here each is drawn in its own colour, a missing day as a full-height band,
with the trailing 28-day median the short-day rule compares with. As for every
chart, the data are the mart's rows verbatim and the status is worked out in the
specification.
"""

from __future__ import annotations

from typing import Any

import altair as alt

STATUSES = {
    "exported": "#4c78a8",
    "missing (no daily table)": "#d62728",
    "short day (few events for its trailing median)": "#ff7f0e",
    "at the daily export limit": "#9467bd",
}
COLUMNS = ["export_date", "has_daily_table", "event_count", "trailing_median_event_count",
           "event_ratio_to_trailing_median", "is_missing_day", "is_short_day", "is_at_daily_cap"]
NOTE = ("A missing, short or capped day undercounts every active-user figure whose window holds it: "
        "those figures are flagged in fct_ga4__active_users_daily.")


def export_days(context: dict[str, Any], width: int, height: int) -> alt.TopLevelMixin:
    names = list(STATUSES)
    status = (f"datum.is_missing_day ? '{names[1]}' : datum.is_at_daily_cap ? '{names[3]}' : "
              f"datum.is_short_day ? '{names[2]}' : '{names[0]}'")
    base = alt.Chart(alt.NamedData(name="mart")).transform_calculate(status=status)
    x = alt.X("export_date:O", timeUnit="utcyearmonthdate", title="day (GA4 daily table)",
              axis=alt.Axis(format="%b %d", labelAngle=0, labelOverlap=True))
    color = alt.Color("status:N", title="export", sort=names,
                      scale=alt.Scale(domain=names, range=list(STATUSES.values())),
                      legend=alt.Legend(orient="bottom", columns=2, labelLimit=320))
    tooltip = [alt.Tooltip("export_date:T", timeUnit="utcyearmonthdate", title="day"),
               alt.Tooltip("status:N", title="export"),
               alt.Tooltip("event_count:Q", title="events", format=","),
               alt.Tooltip("trailing_median_event_count:Q", title="trailing 28-day median", format=",.0f"),
               alt.Tooltip("event_ratio_to_trailing_median:Q", title="events / median", format=".0%")]
    bars = base.transform_filter("!datum.is_missing_day").mark_bar().encode(
        x=x, y=alt.Y("event_count:Q", title="events in the daily table"), color=color, tooltip=tooltip)
    # A missing day has no count to draw: a band the height of the chart says so.
    missing = base.transform_filter("datum.is_missing_day").mark_bar(opacity=0.35).encode(
        x=x, y=alt.value(0), y2=alt.value(height), color=color, tooltip=tooltip)
    median = base.mark_line(color="#333", strokeDash=[4, 3]).encode(
        x=x, y="trailing_median_event_count:Q",
        tooltip=[alt.Tooltip("export_date:T", timeUnit="utcyearmonthdate", title="day"),
                 alt.Tooltip("trailing_median_event_count:Q", title="trailing 28-day median", format=",.0f")])
    return alt.layer(missing, bars, median).properties(width=width, height=height)
