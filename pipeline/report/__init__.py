"""The KPI report: one self-contained HTML page of charts over the marts of a run.

- `marts`: reading the marts through pipeline/warehouse.py; a missing or empty mart
  is a note on the page, not a failure.
- `definitions`: each metric's one-line definition, from the dbt docs blocks.
- `charts`: which mart each chart reads and its Vega-Lite specification.
- `latest`: the table of the latest complete week and month.
- `page`: the HTML, with every script inline.
- `files`: writing the page and the PNGs beside it.

`build_report(settings, run_id, path)` does it all and returns details for the run
summary.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert

from pipeline import warehouse
from pipeline.mart_builds import last_builds, older_note
from pipeline.report import charts, files, latest, page
from pipeline.report.definitions import column_definitions
from pipeline.report.freshness import source_dates
from pipeline.report.marts import Mart, as_of_date, read_mart, read_member_dates
from pipeline.settings import Settings

# Marts the latest-periods table reads besides the charts' own.
_TABLE_MARTS = {"fct_kpis_weekly": ["week_start"], "fct_kpis_monthly": ["month_start"],
                "fct_mrr_monthly": ["month_start"]}


def vega_lite_version() -> str | None:
    """The Vega-Lite version Altair writes, as vl-convert names it (e.g. '6.4')."""
    wanted = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return wanted if wanted in vl_convert.get_vegalite_versions() else None


def _last_build(settings: Settings) -> tuple[str | None, dict[str, Any]]:
    """When the marts were last built, and the vars of that build (the page's time zone
    is the one the marts were built with, not today's default)."""
    try:
        rows = warehouse.records(settings, f"select built_at, vars_json from "
                                           f"{warehouse.relation(settings, '_build_metadata')} "
                                           f"order by built_at desc limit 1")
    except Exception:  # an older warehouse without the table: the header leaves it out
        return None, {}
    if not rows:
        return None, {}
    built_at = str(rows[0]["built_at"])[:19].replace("T", " ") + " UTC"
    try:
        built_vars = json.loads(rows[0]["vars_json"] or "{}")
    except ValueError:
        built_vars = {}
    return built_at, built_vars if isinstance(built_vars, dict) else {}


def _currency(settings: Settings) -> str | None:
    """The plans' currency when they share one, for the MRR axis."""
    try:
        rows = warehouse.records(settings, f"select distinct currency from {warehouse.relation(settings, 'plans')}")
    except Exception:  # no plans seed yet: the axis says "currency of the plans"
        return None
    currencies = {r["currency"] for r in rows if r["currency"]}
    return currencies.pop() if len(currencies) == 1 else None


def read_marts(settings: Settings, shown: list[charts.ChartDef] | None = None) -> dict[str, Mart]:
    wanted = {c.mart: c.order_by for c in (charts.CHARTS if shown is None else shown)} | _TABLE_MARTS
    return {name: read_mart(settings, name, order) for name, order in wanted.items()}


def ga4_note(built_vars: dict[str, Any]) -> str | None:
    """The note in place of the GA4 charts when the marts were built without GA4
    (the var ga4_enabled of their build), else None. A GA4 mart left over from an
    earlier build with GA4 is not shown: it would not match the other marts."""
    if built_vars.get("ga4_enabled") is not False:
        return None
    titles = "; ".join(c.title for c in charts.CHARTS if c.ga4)
    return ("GA4 is not configured, so these marts were built from the membership exports alone "
            f"and the GA4 charts ({titles}) are not drawn. Add the GA4 export (GA4_LOCAL_PATH on "
            "DuckDB, the vars ga4_project / ga4_dataset on BigQuery) and run again to see them.")


def build_report(settings: Settings, run_id: str, path: Path, pngs: bool = True) -> dict[str, Any]:
    built_at, built_vars = _last_build(settings)
    note = ga4_note(built_vars)
    shown = [c for c in charts.CHARTS if not (note and c.ga4)]
    marts = read_marts(settings, shown)
    as_of = as_of_date(marts, read_member_dates(settings))
    monthly = latest.latest_complete(marts["fct_kpis_monthly"], "month_start") \
        if marts["fct_kpis_monthly"].rows else None
    currency = _currency(settings)
    context = {"as_of": as_of, "currency": currency,
               "latest_complete_month": monthly.current["month_start"] if monthly and monthly.current else None}
    rendered = [charts.render(c, marts[c.mart], context) for c in shown]
    timezone = built_vars.get("reporting_timezone") or settings.effective_vars.get("reporting_timezone")
    made_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sources = source_dates(marts)
    header = page.Header(target=settings.target, run_id=run_id,
                         as_of=as_of.isoformat() if as_of else "no data yet",
                         made_at=made_at, marts_built_at=built_at,
                         membership_as_of=sources.membership, ga4_as_of=None if note else sources.ga4)
    version = vega_lite_version()
    versions = {"vega": vl_convert.get_vega_version(), "vega_lite": version or "latest",
                "vega_embed": vl_convert.get_vega_embed_version()}
    # The note stands where the first GA4 chart would have been.
    note_at = next((i for i, c in enumerate(charts.CHARTS) if c.ga4), 0) if note else None
    builds = last_builds(settings)
    older = {c.mart: text for c in shown if (text := older_note(c.mart, builds))}
    html = page.page_html(header, latest.table(marts, ga4=note is None, currency=currency), rendered,
                          column_definitions(),
                          # The stub makes `snippet` required; the library's default one is what we want.
                          vl_convert.javascript_bundle(vl_version=version),  # type: ignore[call-arg]
                          versions,
                          str(timezone or "see the var reporting_timezone"), ga4_note=note, ga4_note_at=note_at,
                          older=older)
    files.write_page(path, html)
    specs = {c.definition.key: c.spec for c in rendered if c.spec}
    png_files = files.write_pngs(path.parent / "charts", specs, version) if pngs else []
    return {
        "report_path": str(path),
        "as_of": header.as_of,
        "membership_as_of": header.membership_as_of,
        "ga4_as_of": header.ga4_as_of,
        "charts": [c.definition.key for c in rendered if c.spec],
        "charts_not_drawn": {c.definition.key: c.problem for c in rendered if not c.spec},
        "ga4_note": note,
        "older_marts": sorted(older),
        "png_files": png_files,
    }
