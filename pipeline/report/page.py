"""The report's one HTML page: header, latest-periods table, the charts, and every
script inline (Vega, Vega-Lite and vega-embed from vl-convert's bundle), so the file
opens offline and can be attached to a message."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2
import markupsafe

from pipeline.report.charts import RenderedChart

_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Header:
    target: str
    run_id: str
    as_of: str
    made_at: str
    marts_built_at: str | None
    membership_as_of: str | None = None  # the latest membership export's as-of date
    ga4_as_of: str | None = None  # the latest daily GA4 table's date


def definition_html(text: str) -> markupsafe.Markup:
    """A docs sentence as HTML: escaped, with `code` spans kept."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_CODE.sub(r"<code>\1</code>", escaped))


def script_json(value: Any) -> markupsafe.Markup:
    """JSON that is safe inside a <script> element: no `</` can close it early."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return markupsafe.Markup(text.replace("</", "<\\/").replace("<!--", "<\\!--"))


_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Membership KPI report, as of {{ header.as_of }}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
         color: #222; margin: 0 auto; max-width: 1000px; padding: 24px 28px 48px; line-height: 1.4; }
  h1 { font-size: 26px; margin: 0 0 6px; }
  h2 { font-size: 19px; margin: 36px 0 4px; border-top: 1px solid #ddd; padding-top: 18px; }
  .meta { display: flex; flex-wrap: wrap; gap: 4px 26px; color: #555; font-size: 14px; margin: 0 0 18px; }
  .meta b { color: #222; font-weight: 600; }
  table.latest { border-collapse: collapse; font-size: 14px; margin: 8px 0 4px; }
  table.latest th, table.latest td { padding: 4px 12px; border-bottom: 1px solid #e4e4e4; text-align: right; }
  table.latest th:first-child, table.latest td:first-child { text-align: left; }
  table.latest thead th { border-bottom: 2px solid #bbb; vertical-align: bottom; }
  td.change { color: #555; }
  .chart { margin: 10px 0 4px; min-height: 40px; }
  .missing { background: #fff7e6; border: 1px solid #f0c36d; padding: 10px 14px; border-radius: 4px; }
  dl.definitions { font-size: 13px; color: #444; margin: 6px 0 0; display: grid;
                   grid-template-columns: max-content 1fr; gap: 2px 12px; }
  dl.definitions dt { font-weight: 600; }
  dl.definitions dd { margin: 0; }
  .note { font-size: 13px; color: #555; margin: 6px 0 0; }
  code { font-size: 12px; background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
  footer { margin-top: 40px; font-size: 12px; color: #777; }
</style>
</head>
<body>
<header>
  <h1>Membership KPI report</h1>
  <div class="meta">
    <span>Data as of <b>{{ header.as_of }}</b></span>
    {% if header.membership_as_of %}<span class="source-as-of">Membership exports as of <b>{{ header.membership_as_of }}</b></span>{% endif %}
    {% if header.ga4_as_of %}<span class="source-as-of">GA4 as of <b>{{ header.ga4_as_of }}</b></span>{% endif %}
    <span>Target <b>{{ header.target }}</b></span>
    <span>Run <b>{{ header.run_id }}</b></span>
    {% if header.marts_built_at %}<span>Marts built <b>{{ header.marts_built_at }}</b></span>{% endif %}
    <span>Page made <b>{{ header.made_at }}</b></span>
  </div>
  <p class="note">Periods are in the reporting time zone ({{ timezone }}). A faded bar or a * marks a
  period that has not ended by the as-of date: its figures are still changing. Each source counts only
  up to its own as-of date: after it, that source's figures are empty (unknown), not zero, and a
  period it covers only in part is marked partial.</p>
</header>

<section id="latest">
  <h2>Latest complete week and month</h2>
  {% if latest.rows %}
  <table class="latest">
    <thead><tr><th>metric</th>
      {% for column in latest.columns %}
      <th>{{ column.grain }} of {{ column.start or "n/a" }}</th>
      <th>change vs {{ column.grain }} of {{ column.previous_start or "n/a" }}</th>
      {% endfor %}</tr></thead>
    <tbody>
    {% for row in latest.rows %}
      <tr><td>{{ row.label }}</td>
      {% for cell in row.cells %}<td>{{ cell.value_text }}{% if cell.period_note %}<br><small class="own-period">{{ cell.period_note }}</small>{% endif %}</td><td class="change">{{ cell.change_text }}</td>{% endfor %}
      </tr>
    {% endfor %}
    </tbody>
  </table>
  <script type="application/json" id="latest-data">{{ script_json(latest) }}</script>
  <p class="note">Rates change in percentage points (pp); counts and amounts by the difference and its percent.
  A rate that can still grow (signup-to-paid, until every signup has had its conversion window) is compared
  only between mature periods, and active users only between periods GA4 covers in full: such a cell names
  its own period.</p>
  {% for note in latest.notes %}<p class="note latest-note">{{ note }}</p>{% endfor %}
  {% else %}
  <p class="missing">No complete week or month yet: the KPI marts are missing, empty, or hold only the current period.</p>
  {% endif %}
</section>

{% for chart in charts %}
{% if ga4_note and loop.index0 == ga4_note_at %}
<section id="ga4-not-configured">
  <h2>GA4 charts</h2>
  <p class="missing">{{ ga4_note }}</p>
</section>
{% endif %}
<section id="{{ chart.definition.key }}">
  <h2>{{ chart.definition.title }}</h2>
  {% if chart.older %}<p class="missing older-mart">Older than the other marts: {{ chart.older }}</p>{% endif %}
  {% if chart.spec %}
  <div class="chart" id="chart-{{ chart.definition.key }}" data-mart="{{ chart.definition.mart }}"></div>
  <script type="application/json" class="chart-spec" data-chart="chart-{{ chart.definition.key }}">{{ script_json(chart.spec) }}</script>
  {% else %}
  <p class="missing">This chart is not drawn: {{ chart.problem }}</p>
  {% endif %}
  <dl class="definitions">
    {% for label, text in chart.definitions %}<dt>{{ label }}</dt><dd>{{ definition_html(text) }}</dd>
    {% endfor %}
  </dl>
  {% if chart.definition.note and chart.spec %}<p class="note">{{ chart.definition.note }}</p>{% endif %}
  <p class="note">From <code>{{ chart.definition.mart }}</code>.</p>
</section>
{% endfor %}

<footer>Definitions are the first sentence of each metric's docs block (dbt_project/models/docs/;
the full text is in dbt docs). Charts drawn with Vega {{ versions.vega }}, Vega-Lite {{ versions.vega_lite }}
and vega-embed {{ versions.vega_embed }}, embedded in this file.</footer>

<script>{{ bundle }}</script>
<script>
(function () {
  var specs = document.querySelectorAll("script.chart-spec");
  specs.forEach(function (element) {
    var target = document.getElementById(element.getAttribute("data-chart"));
    var spec = JSON.parse(element.textContent);
    vegaEmbed(target, spec, {actions: false, renderer: "svg", mode: "vega-lite"})
      .then(function () { target.setAttribute("data-rendered", "true"); })
      .catch(function (error) {
        target.className += " missing";
        target.textContent = "This chart could not be drawn: " + error;
        console.error("chart " + target.id + ": " + error);
      });
  });
})();
</script>
</body>
</html>
""")


@dataclass
class PageChart:
    """A rendered chart with the definitions to print under it."""

    definition: Any
    spec: dict[str, Any] | None
    problem: str | None
    definitions: list[tuple[str, str]]
    older: str | None = None  # why the chart's mart is older than the others


def page_html(header: Header, latest: dict[str, Any], charts: list[RenderedChart],
              definitions: dict[tuple[str, str], str], bundle: str, versions: dict[str, str],
              timezone: str, ga4_note: str | None = None, ga4_note_at: int | None = None,
              older: dict[str, str] | None = None) -> str:
    """`definitions`: (mart, column) -> the first sentence of the column's docs block;
    `ga4_note`, when GA4 is not configured, stands before chart number `ga4_note_at`;
    `older`: mart -> why its chart is marked as older than the other marts."""
    shown = [PageChart(c.definition, c.spec, c.problem,
                       [(label, definitions.get((c.definition.mart, column),
                                                f"(the column {column} has no docs block yet)"))
                        for label, column in c.definition.metrics],
                       (older or {}).get(c.definition.mart))
             for c in charts]
    return _TEMPLATE.render(header=header, latest=latest, charts=shown, definitions=definitions,
                            bundle=markupsafe.Markup(bundle), versions=versions, timezone=timezone,
                            script_json=script_json, definition_html=definition_html,
                            ga4_note=ga4_note, ga4_note_at=ga4_note_at)
