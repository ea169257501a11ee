"""Each chart of the report: which mart and columns it reads, which metrics it
defines, and its Vega-Lite specification (built with Altair).

A chart's data is the mart's rows, the columns it needs, verbatim: every transform
(folding series, signs, labels) happens in the specification, so the numbers on the
page are the warehouse's and a test can compare them with a query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import altair as alt

from pipeline.report import export_health
from pipeline.report.marts import Mart

WIDTH = 760
HEIGHT = 260
COMPLETE, INCOMPLETE = "complete", "incomplete (still changing)"
PARTIAL = "partial (fewer days of data)"
MATURE, IMMATURE = "mature", "not mature yet (still growing)"
_DATA = "mart"  # the name of the chart's one dataset


@dataclass(frozen=True)
class ChartDef:
    """What a chart shows: `build(as_of)` returns an Altair chart over the dataset `mart`."""

    key: str
    title: str
    mart: str
    order_by: list[str]
    columns: list[str]
    metrics: list[tuple[str, str]]  # (label shown, the mart column whose docs block defines it)
    build: Callable[[dict[str, Any]], alt.TopLevelMixin]
    note: str = ""
    ga4: bool = False  # drawn from GA4 data: without GA4 the page shows one note for all such charts


@dataclass
class RenderedChart:
    definition: ChartDef
    spec: dict[str, Any] | None = None
    problem: str | None = None
    derived_columns: list[str] = field(default_factory=list)


def _data() -> alt.NamedData:
    return alt.NamedData(name=_DATA)


def _period_status() -> alt.Opacity:
    """An opacity encoding that fades periods that have not ended, and less so the
    partial ones (a first or last period the data covers in part)."""
    return alt.Opacity("period:O", title="period", sort=[COMPLETE, PARTIAL, INCOMPLETE],
                       scale=alt.Scale(domain=[COMPLETE, PARTIAL, INCOMPLETE], range=[1.0, 0.6, 0.35]),
                       legend=alt.Legend(orient="bottom"))


def _with_status(chart: alt.Chart) -> alt.Chart:
    """`period` per row; a mart without is_membership_partial has no partial periods."""
    return chart.transform_calculate(
        period=f"!datum.is_complete_period ? '{INCOMPLETE}' : "
               f"(datum.is_membership_partial === true ? '{PARTIAL}' : '{COMPLETE}')")


def _maturity(flag: str) -> alt.Opacity:
    """An opacity encoding that fades the values whose `flag` expression is false."""
    return alt.Opacity(f"{flag}:N", title="value", sort=[MATURE, IMMATURE],
                       scale=alt.Scale(domain=[MATURE, IMMATURE], range=[1.0, 0.3]),
                       legend=alt.Legend(orient="bottom"))


def _series(names: dict[str, str], title: str = "series") -> alt.Color:
    return alt.Color("series:N", title=title, sort=list(names.values()),
                     scale=alt.Scale(domain=list(names.values())), legend=alt.Legend(orient="bottom"))


def _fold(chart: alt.Chart, names: dict[str, str]) -> alt.Chart:
    """Columns to long form, with the label a person reads as `series`."""
    labels = " : ".join(f"datum.column == '{c}' ? '{label}'" for c, label in names.items())
    return chart.transform_fold(list(names), as_=["column", "value"]).transform_calculate(
        series=f"{labels} : datum.column")


def active_users(context: dict[str, Any]) -> alt.TopLevelMixin:
    names = {"dau": "DAU (that day)", "wau_7d": "WAU (7 days)", "mau_28d": "MAU (28 days)"}
    x = alt.X("event_date:T", timeUnit="utcyearmonthdate", title="day (GA4 event date)",
              axis=alt.Axis(format="%b %d"))
    users = _fold(alt.Chart(_data()), names).mark_line().encode(
        x=x,
        y=alt.Y("value:Q", title="active users (devices)"),
        color=_series(names, "active users"),
        tooltip=[alt.Tooltip("event_date:T", timeUnit="utcyearmonthdate", title="day"),
                 alt.Tooltip("series:N", title="metric"), alt.Tooltip("value:Q", title="users", format=",")],
    ).properties(width=WIDTH, height=HEIGHT)
    stickiness = alt.Chart(_data()).mark_line(color="#7b3294").encode(
        x=x,
        y=alt.Y("stickiness:Q", title="stickiness (DAU / MAU)", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("event_date:T", timeUnit="utcyearmonthdate", title="day"),
                 alt.Tooltip("stickiness:Q", format=".1%")],
    ).properties(width=WIDTH, height=140)
    return alt.vconcat(alt.layer(*_warm_up_shading(), users), alt.layer(*_warm_up_shading("mau"), stickiness))


def _warm_up_shading(*windows: str) -> list[alt.Chart]:
    """Grey bands over the days a rolling window still reaches back before the first
    GA4 day (the marts' is_mau_warm_up / is_wau_warm_up): darker where both do."""
    bands = []
    for window in windows or ("mau", "wau"):
        bands.append(alt.Chart(_data()).transform_filter(f"datum.is_{window}_warm_up").mark_rect(
            color="#888", opacity=0.12).encode(
            x=alt.X("min(event_date):T"), x2=alt.X2("max(event_date):T"),
            tooltip=[alt.Tooltip("min(event_date):T", title=f"{window.upper()} warm-up from"),
                     alt.Tooltip("max(event_date):T", title="to")]))
    return bands


def conversion_rates(context: dict[str, Any]) -> alt.TopLevelMixin:
    """The signup rate and the signup-to-paid rate by week: a line through the mature
    weeks only, the others as faded points that no line compares."""
    x = alt.X("week_start:T", timeUnit="utcyearmonthdate", title="week starting (Monday)",
              axis=alt.Axis(format="%b %d"))
    panels = []
    for column, title, mature in (
            ("signup_conversion_rate", "signup rate (signups per active user)",
             "datum.is_complete_period && datum.is_ga4_partial === false && !datum.is_membership_partial"),
            ("signup_to_paid_rate", "signup-to-paid rate", "datum.is_signup_to_paid_rate_mature")):
        base = alt.Chart(_data()).transform_filter(f"isValid(datum.{column})").transform_calculate(
            maturity=f"({mature}) ? '{MATURE}' : '{IMMATURE}'")
        tooltip = [alt.Tooltip("week_start:T", timeUnit="utcyearmonthdate", title="week starting"),
                   alt.Tooltip(f"{column}:Q", title=title, format=".1%"), alt.Tooltip("maturity:N", title="value")]
        line = base.transform_filter(f"datum.maturity == '{MATURE}'").mark_line(color="#4c78a8").encode(
            x=x, y=alt.Y(f"{column}:Q", title=title, axis=alt.Axis(format="%")))
        points = base.mark_point(filled=True, color="#4c78a8", size=40).encode(
            x=x, y=alt.Y(f"{column}:Q"), opacity=_maturity("maturity"), tooltip=tooltip)
        panels.append(alt.layer(line, points).properties(width=WIDTH, height=150))
    return alt.vconcat(*panels)


def ga4_export_days(context: dict[str, Any]) -> alt.TopLevelMixin:
    return export_health.export_days(context, WIDTH, 160)


def weekly_members(context: dict[str, Any]) -> alt.TopLevelMixin:
    names = {"signups": "signups", "new_paying_members": "new paying members",
             "churned_members": "churned members"}
    return _with_status(_fold(alt.Chart(_data()), names)).mark_bar().encode(
        x=alt.X("week_start:O", timeUnit="utcyearmonthdate", title="week starting (Monday)",
                axis=alt.Axis(format="%b %d", labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=list(names.values())),
        y=alt.Y("value:Q", title="members"),
        color=_series(names),
        opacity=_period_status(),
        tooltip=[alt.Tooltip("week_start:T", timeUnit="utcyearmonthdate", title="week starting"),
                 alt.Tooltip("series:N", title="metric"), alt.Tooltip("value:Q", title="members", format=","),
                 alt.Tooltip("period:N")],
    ).properties(width=WIDTH, height=HEIGHT)


def _month_x(title: str = "month") -> alt.X:
    return alt.X("month_start:O", timeUnit="utcyearmonth", title=title,
                 axis=alt.Axis(format="%b %Y", labelAngle=0))


def monthly_members(context: dict[str, Any]) -> alt.TopLevelMixin:
    base = _with_status(alt.Chart(_data()))
    month = alt.Tooltip("month_start:T", timeUnit="utcyearmonth", title="month")
    paying = base.mark_bar(color="#4c78a8").encode(
        x=_month_x(),
        y=alt.Y("paying_members_end:Q", title="paying members at month end",
                axis=alt.Axis(titleColor="#4c78a8")),
        opacity=_period_status(),
        tooltip=[month, alt.Tooltip("paying_members_end:Q", title="paying members", format=","),
                 alt.Tooltip("period:N")],
    )
    churn = base.mark_line(color="#e45756", point=alt.OverlayMarkDef(color="#e45756", size=60)).encode(
        x=_month_x(),
        y=alt.Y("churn_rate:Q", title="churn rate", axis=alt.Axis(format="%", titleColor="#e45756")),
        tooltip=[month, alt.Tooltip("churn_rate:Q", title="churn rate", format=".1%"), alt.Tooltip("period:N")],
    )
    return alt.layer(paying, churn).resolve_scale(y="independent").properties(width=WIDTH, height=HEIGHT)


def retention_cohorts(context: dict[str, Any]) -> alt.TopLevelMixin:
    base = alt.Chart(_data()).transform_calculate(
        period=f"datum.is_mature ? '{COMPLETE}' : '{INCOMPLETE}'",
        label="format(datum.retention_rate, '.0%') + (datum.is_mature ? '' : '*')")
    y = alt.Y("cohort_month:O", timeUnit="utcyearmonth", title="cohort (month of first payment)",
              axis=alt.Axis(format="%b %Y"))
    x = alt.X("months_since_first_payment:O", title="months since first payment",
              axis=alt.Axis(labelAngle=0))
    # The scale spans the data's own range, so that 81 % and 98 % look apart; every
    # cell prints its value, so the colours need no 0 to read.
    rates = [r["retention_rate"] for r in context["rows"] if r["retention_rate"] is not None] or [0.0, 1.0]
    low, high = min(rates), max(rates)
    high = high if high > low else low + 0.01
    cells = base.mark_rect().encode(
        x=x, y=y,
        color=alt.Color("retention_rate:Q", title="still paying", scale=alt.Scale(scheme="blues", domain=[low, high]),
                        legend=alt.Legend(format="%")),
        opacity=_period_status(),
        tooltip=[alt.Tooltip("cohort_month:T", timeUnit="utcyearmonth", title="cohort"),
                 alt.Tooltip("months_since_first_payment:O", title="months since first payment"),
                 alt.Tooltip("cohort_size:Q", title="cohort size", format=","),
                 alt.Tooltip("retained_members:Q", title="still paying", format=","),
                 alt.Tooltip("retention_rate:Q", title="retention rate", format=".1%"),
                 alt.Tooltip("period:N", title="measured month")],
    )
    text = base.mark_text(fontSize=12).encode(
        x=x, y=y, text="label:N",
        color=alt.condition(f"datum.retention_rate > {low + 0.55 * (high - low)}", alt.value("white"),
                            alt.value("#222")),
    )
    rows = max(len({r["cohort_month"] for r in context["rows"]}), 1)
    return alt.layer(cells, text).properties(width=WIDTH, height=max(34 * rows, 80))


def mrr_movements(context: dict[str, Any]) -> alt.TopLevelMixin:
    names = {"new_mrr": "new", "expansion_mrr": "expansion", "reactivation_mrr": "reactivation",
             "contraction_mrr": "contraction", "churned_mrr": "churned"}
    colors = ["#54a24b", "#88d27a", "#2a9d8f", "#f58518", "#e45756"]
    month = alt.Tooltip("month_start:T", timeUnit="utcyearmonth", title="month")
    unit = context.get("currency") or "currency of the plans"
    movements = _with_status(_fold(alt.Chart(_data()), names)).transform_calculate(
        signed="indexof(['contraction_mrr', 'churned_mrr'], datum.column) >= 0 ? -datum.value : datum.value",
    ).mark_bar().encode(
        x=_month_x(),
        y=alt.Y("signed:Q", title=f"MRR per month ({unit})", axis=alt.Axis(format=",.0f")),
        color=alt.Color("series:N", title="MRR movement",
                        sort=list(names.values()),
                        scale=alt.Scale(domain=list(names.values()), range=colors),
                        legend=alt.Legend(orient="bottom")),
        opacity=_period_status(),
        tooltip=[month, alt.Tooltip("series:N", title="movement"),
                 alt.Tooltip("value:Q", title=unit, format=",.0f"), alt.Tooltip("period:N")],
    )
    mrr = alt.Chart(_data()).mark_line(color="#222", point=alt.OverlayMarkDef(color="#222")).encode(
        x=_month_x(), y=alt.Y("mrr_end:Q"),
        tooltip=[month, alt.Tooltip("mrr_end:Q", title=f"MRR at month end ({unit})", format=",.0f")],
    )
    arppu = _with_status(alt.Chart(_data())).mark_bar(color="#72b7b2").encode(
        x=_month_x(),
        y=alt.Y("arppu:Q", title=f"ARPPU ({unit} per paying member)", axis=alt.Axis(format=",.0f")),
        opacity=_period_status(),
        tooltip=[month, alt.Tooltip("arppu:Q", title="ARPPU", format=",.0f"), alt.Tooltip("period:N")],
    ).properties(width=WIDTH, height=140)
    top = alt.layer(movements, mrr).properties(width=WIDTH, height=HEIGHT)
    return alt.vconcat(top, arppu)


def revenue_cohorts(context: dict[str, Any]) -> alt.TopLevelMixin:
    base = _with_status(alt.Chart(_data())).transform_calculate(
        label="(datum.net_mrr_retention == null ? '-' : format(datum.net_mrr_retention, '.0%'))"
              " + (datum.is_complete_period ? '' : '*')")
    y = alt.Y("cohort_month:O", timeUnit="utcyearmonth", title="cohort (month of first payment)",
              axis=alt.Axis(format="%b %Y"))
    x = alt.X("months_since_first_payment:O", title="months since first payment",
              axis=alt.Axis(labelAngle=0))
    unit = context.get("currency") or "currency of the plans"
    # Net retention can pass 100 %: the scale runs to the highest cell, at least 100 %.
    highest = max([1.0, *(r["net_mrr_retention"] or 0 for r in context["rows"])])
    cells = base.mark_rect().encode(
        x=x, y=y,
        color=alt.Color("net_mrr_retention:Q", title="net MRR retention",
                        scale=alt.Scale(scheme="greens", domain=[0, highest]), legend=alt.Legend(format="%")),
        opacity=_period_status(),
        tooltip=[alt.Tooltip("cohort_month:T", timeUnit="utcyearmonth", title="cohort"),
                 alt.Tooltip("months_since_first_payment:O", title="months since first payment"),
                 alt.Tooltip("cohort_members:Q", title="cohort members", format=","),
                 alt.Tooltip("cohort_mrr:Q", title=f"cohort MRR ({unit})", format=",.0f"),
                 alt.Tooltip("mrr:Q", title=f"MRR this month ({unit})", format=",.0f"),
                 alt.Tooltip("net_mrr_retention:Q", title="net MRR retention", format=".1%"),
                 alt.Tooltip("gross_mrr_retention:Q", title="gross MRR retention", format=".1%"),
                 alt.Tooltip("period:N", title="measured month")],
    )
    text = base.mark_text(fontSize=12).encode(
        x=x, y=y, text="label:N",
        color=alt.condition(f"datum.net_mrr_retention > {0.55 * highest}", alt.value("white"), alt.value("#222")),
    )
    rows = max(len({r["cohort_month"] for r in context["rows"]}), 1)
    return alt.layer(cells, text).properties(width=WIDTH, height=max(34 * rows, 80))


def mrr_by_plan(context: dict[str, Any]) -> alt.TopLevelMixin:
    unit = context.get("currency") or "currency of the plans"
    return _with_status(alt.Chart(_data())).mark_bar().encode(
        x=_month_x(),
        y=alt.Y("mrr_end:Q", title=f"MRR at month end ({unit})", axis=alt.Axis(format=",.0f"), stack="zero"),
        color=alt.Color("plan:N", title="plan", legend=alt.Legend(orient="bottom")),
        opacity=_period_status(),
        tooltip=[alt.Tooltip("month_start:T", timeUnit="utcyearmonth", title="month"),
                 alt.Tooltip("plan:N"), alt.Tooltip("mrr_end:Q", title=f"MRR ({unit})", format=",.0f"),
                 alt.Tooltip("paying_members_end:Q", title="paying members", format=","),
                 alt.Tooltip("arppu:Q", title="ARPPU", format=",.0f"), alt.Tooltip("period:N")],
    ).properties(width=WIDTH, height=HEIGHT)


def channel_value(context: dict[str, Any]) -> alt.TopLevelMixin:
    """A table drawn as text: one row per channel group, the latest complete month."""
    months = sorted({r["month_start"] for r in context["rows"]})
    chosen = context.get("latest_complete_month") or months[-1]
    base = alt.Chart(_data()).transform_filter(f"datum.month_start == '{chosen}'")
    order = alt.EncodingSortField("mrr_end", op="sum", order="descending")
    columns: list[alt.Chart] = []
    for column, title, fmt in (("paying_members_end", "paying members", ",d"), ("mrr_end", "MRR", ",.0f"),
                               ("arppu", "ARPPU", ",.0f"), ("cumulative_revenue", "cumulative revenue", ",.0f"),
                               ("ltv_estimate", "LTV estimate", ",.0f")):
        shown = base.transform_calculate(
            shown=f"datum.{column} == null ? '-' : format(datum.{column}, '{fmt}')",
        ).mark_text(align="right", dx=40, fontSize=12).encode(
            y=alt.Y("channel_group:N", sort=order, title="first-user channel group" if not columns else None,
                    axis=alt.Axis(domain=False, ticks=False) if not columns else None),
            text="shown:N",
            tooltip=[alt.Tooltip("channel_group:N", title="channel group"),
                     alt.Tooltip(f"{column}:Q", title=title, format=fmt)],
        ).properties(width=110, height=alt.Step(22), title=alt.TitleParams(title, fontSize=12, anchor="end"))
        columns.append(shown)
    # Each column sorts its own scale, the same way: a shared one would merge them alphabetically.
    return alt.hconcat(*columns, spacing=4).resolve_scale(y="independent").properties(
        title=alt.TitleParams(f"month starting {chosen}", fontSize=11, anchor="start", color="#555"))


def acquisition_funnel(context: dict[str, Any]) -> alt.TopLevelMixin:
    months = sorted({r["month_start"] for r in context["rows"]})
    chosen = context.get("latest_complete_month") or months[-1]
    pick = alt.param(name="month", value=chosen,
                     bind=alt.binding_select(options=months, name="month starting "))
    base = alt.Chart(_data()).add_params(pick).transform_filter("datum.month_start == month")
    # One order for every panel (they share the y scale): the biggest source of new users first.
    order = alt.EncodingSortField("new_users", op="sum", order="descending")
    panels: list[alt.LayerChart | alt.FacetChart] = []
    for column, title, fmt in (("new_users", "new users (devices)", ",d"), ("signups", "signups", ",d"),
                               ("new_paying_members", "new paying members", ",d"),
                               ("signup_rate", "signup rate", "%"),
                               ("signup_to_paid_rate", "signup-to-paid rate", "%")):
        rate = fmt == "%"
        encoding = {
            "x": alt.X(f"{column}:Q", title=title, axis=alt.Axis(format=fmt, tickCount=3),
                       scale=alt.Scale(nice=True, padding=4)),
            "y": alt.Y("channel_group:N", sort=order,
                       title="first-user channel group" if not panels else None,
                       axis=alt.Axis() if not panels else None),
        }
        # An immature signup-to-paid bar is pale: its month's last signups may still convert.
        fill = alt.condition("datum.is_signup_to_paid_rate_mature", alt.value("#f58518"), alt.value("#fbd3ad")) \
            if column == "signup_to_paid_rate" else alt.value("#f58518" if rate else "#4c78a8")
        bars = base.mark_bar().encode(
            **encoding, color=fill,
            tooltip=[alt.Tooltip("channel_group:N", title="channel group"),
                     alt.Tooltip(f"{column}:Q", title=title, format=".1%" if rate else ",")],
        )
        # The figure at the end of each bar: a reader should not have to estimate it.
        values = base.mark_text(align="left", dx=3, fontSize=10, color="#333").encode(
            **encoding, text=alt.Text(f"{column}:Q", format=".1%" if rate else ","))
        panels.append(alt.layer(bars, values).properties(width=112, height=alt.Step(22)))
    return alt.hconcat(*panels, spacing=34).resolve_scale(y="shared")


CHARTS: list[ChartDef] = [
    ChartDef("active_users", "Active users by day: DAU, WAU, MAU and stickiness", "fct_ga4__active_users_daily",
             ["event_date"], ["event_date", "dau", "wau_7d", "mau_28d", "stickiness", "is_wau_warm_up",
                              "is_mau_warm_up"],
             [("DAU", "dau"), ("WAU", "wau_7d"), ("MAU", "mau_28d"), ("stickiness", "stickiness"),
              ("MAU warm-up", "is_mau_warm_up"), ("WAU warm-up", "is_wau_warm_up")],
             active_users,
             note="Shaded: the warm-up days, while the 28-day window (7-day, darker) still reaches back "
                  "before the first GA4 day. MAU and WAU climb and stickiness falls there because the "
                  "window is filling, not because of a trend.", ga4=True),
    ChartDef("ga4_export_days", "GA4 export health: events per daily table, missing and short days marked",
             "fct_ga4__export_days", ["export_date"], export_health.COLUMNS,
             [("events", "event_count"), ("trailing median", "trailing_median_event_count"),
              ("missing day", "is_missing_day"), ("short day", "is_short_day"),
              ("at the daily limit", "is_at_daily_cap")],
             ga4_export_days, note=export_health.NOTE, ga4=True),
    ChartDef("weekly_members", "Signups, new paying members and churned members by week", "fct_kpis_weekly",
             ["week_start"], ["week_start", "is_complete_period", "is_membership_partial", "signups",
                              "new_paying_members", "churned_members"],
             [("signups", "signups"), ("new paying members", "new_paying_members"),
              ("churned members", "churned_members")],
             weekly_members),
    ChartDef("conversion_rates", "Signup rate and signup-to-paid rate by week, mature weeks only",
             "fct_kpis_weekly",
             ["week_start"], ["week_start", "is_complete_period", "is_membership_partial", "is_ga4_partial",
                              "signup_conversion_rate", "signup_to_paid_rate", "is_signup_to_paid_rate_mature"],
             [("signup rate", "signup_conversion_rate"), ("signup-to-paid rate", "signup_to_paid_rate"),
              ("mature", "is_signup_to_paid_rate_mature")],
             conversion_rates,
             note="The line joins mature weeks only. Faded points are not mature yet: the week has not "
                  "ended, its data is partial, or (signup-to-paid) its last signups have not had their "
                  "conversion window by the membership as-of date, so the rate can still grow."),
    ChartDef("monthly_members", "Paying members and churn rate by month", "fct_kpis_monthly",
             ["month_start"], ["month_start", "is_complete_period", "is_membership_partial", "paying_members_end",
                               "churn_rate"],
             [("paying members", "paying_members_end"), ("churn rate", "churn_rate")],
             monthly_members),
    ChartDef("retention_cohorts", "Monthly retention by cohort of first payment", "fct_retention_cohorts_monthly",
             ["cohort_month", "months_since_first_payment"],
             ["cohort_month", "months_since_first_payment", "cohort_size", "retained_members", "retention_rate",
              "is_mature"],
             [("cohort", "cohort_month"), ("still paying", "retained_members"),
              ("retention rate", "retention_rate"), ("mature", "is_mature")],
             retention_cohorts,
             note="* the measured month has not ended yet: the figure is still changing. The colours span "
                  "the lowest to the highest cell, not 0 to 100 %: read the printed values."),
    ChartDef("mrr_movements", "MRR movements by month, and ARPPU", "fct_mrr_monthly",
             ["month_start"], ["month_start", "is_complete_period", "new_mrr", "expansion_mrr",
                               "reactivation_mrr", "contraction_mrr", "churned_mrr", "mrr_end", "arppu"],
             [("new", "new_mrr"), ("expansion", "expansion_mrr"), ("reactivation", "reactivation_mrr"),
              ("contraction", "contraction_mrr"), ("churned", "churned_mrr"), ("MRR", "mrr_end"),
              ("ARPPU", "arppu")],
             mrr_movements,
             note="Contraction and churned MRR are drawn below zero; the line is MRR at month end."),
    ChartDef("mrr_by_plan", "MRR at month end by plan", "fct_mrr_by_plan_monthly",
             ["month_start", "plan"],
             ["month_start", "plan", "is_complete_period", "paying_members_end", "mrr_end", "arppu"],
             [("plan", "plan"), ("MRR", "mrr_end"), ("paying members", "paying_members_end"),
              ("ARPPU", "arppu")],
             mrr_by_plan),
    ChartDef("revenue_cohorts", "Net MRR retention by cohort of first payment", "fct_revenue_cohorts_monthly",
             ["cohort_month", "months_since_first_payment"],
             ["cohort_month", "months_since_first_payment", "is_complete_period", "cohort_members",
              "cohort_mrr", "mrr", "net_mrr_retention", "gross_mrr_retention"],
             [("cohort MRR", "cohort_mrr"), ("net MRR retention", "net_mrr_retention"),
              ("gross MRR retention", "gross_mrr_retention")],
             revenue_cohorts,
             note="* the measured month has not ended yet: the figure is still changing. "
                  "A cell above 100 % means the cohort pays more than in its first month."),
    ChartDef("channel_value", "What each channel's members are worth, latest complete month",
             "fct_channel_value_monthly",
             ["month_start", "channel_group"],
             ["month_start", "channel_group", "is_complete_period", "paying_members_end", "mrr_end", "arppu",
              "cumulative_revenue", "ltv_estimate"],
             [("channel group", "channel_group"), ("paying members", "paying_members_end"),
              ("MRR", "mrr_end"), ("ARPPU", "arppu"), ("cumulative revenue", "cumulative_revenue"),
              ("LTV estimate", "ltv_estimate")],
             channel_value,
             note="- : no estimate (no churn in the trailing three months, or nobody paying).", ga4=True),
    ChartDef("acquisition_funnel", "Acquisition funnel by channel group, one month", "fct_acquisition_monthly",
             ["month_start", "channel_group"],
             ["month_start", "channel_group", "new_users", "signups", "new_paying_members", "signup_rate",
              "signup_to_paid_rate", "is_signup_to_paid_rate_mature"],
             [("new users", "new_users"), ("signups", "signups"), ("new paying members", "new_paying_members"),
              ("signup rate", "signup_rate"), ("signup-to-paid rate", "signup_to_paid_rate")],
             acquisition_funnel,
             note="Pick another month with the menu under the chart. A faded signup-to-paid bar is not "
                  "mature yet: the month's last signups have not had their conversion window.", ga4=True),
]


def chart_rows(definition: ChartDef, mart: Mart) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows a chart embeds (the mart's columns it needs) and the names of any
    column it adds (none: every flag a chart reads is the mart's own)."""
    return [{c: row[c] for c in definition.columns} for row in mart.rows], []


def render(definition: ChartDef, mart: Mart, context: dict[str, Any]) -> RenderedChart:
    problem = mart.lacking(definition.columns)
    if problem:
        return RenderedChart(definition, problem=problem)
    rows, derived = chart_rows(definition, mart)
    chart = definition.build({**context, "rows": rows}).configure_view(stroke=None).configure_axis(
        labelFontSize=11, titleFontSize=12).configure_legend(labelFontSize=11, titleFontSize=11)
    spec = chart.to_dict(validate=True)
    spec.pop("$schema", None)  # a URL that is never fetched; the page says which Vega-Lite it embeds
    spec["datasets"] = {_DATA: rows}
    spec["usermeta"] = {"mart": definition.mart, "columns": definition.columns, "derived": derived}
    return RenderedChart(definition, spec=spec, derived_columns=derived)
