"""Reading a report page back: the charts' embedded data and the latest-periods table,
and the same figures queried from a warehouse, for test_report.py and the BigQuery
end-to-end test."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

TOLERANCE = 1e-9


class _Scripts(HTMLParser):
    """Every element's tag and attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open, self._text = (tag, dict(attrs)), []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._open[1], text))
            else:
                self.styles.append(text)
            self._open = None


def parse(path: Path) -> _Scripts:
    parser = _Scripts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def chart_specs(path: Path) -> dict[str, dict[str, Any]]:
    """chart element id -> its Vega-Lite specification, as embedded."""
    return {attrs["data-chart"]: json.loads(text) for attrs, text in parse(path).scripts
            if "chart-spec" in (attrs.get("class") or "")}


def latest_table(path: Path) -> dict[str, Any]:
    found = [json.loads(text) for attrs, text in parse(path).scripts if attrs.get("id") == "latest-data"]
    assert len(found) == 1, f"{path}: expected one latest-data script, found {len(found)}"
    return found[0]


def plain(value: Any) -> Any:
    """A cell as JSON holds it: dates as ISO text, decimals and numpy scalars as floats."""
    if hasattr(value, "item") and not isinstance(value, (dt.date, str)):
        value = value.item()
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def same(got: Any, want: Any) -> bool:
    got, want = plain(got), plain(want)
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return math.isclose(float(got), float(want), rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return bool(got == want)


def row_differences(label: str, got: list[dict[str, Any]], want: list[dict[str, Any]],
                    columns: list[str]) -> list[str]:
    """Cell by cell, in order: what differs between two lists of rows."""
    if len(got) != len(want):
        return [f"{label}: {len(got)} rows, expected {len(want)}"]
    problems = []
    for number, (g, w) in enumerate(zip(got, want)):
        for column in columns:
            if not same(g.get(column), w.get(column)):
                problems.append(f"{label} row {number} {column}: page {g.get(column)!r}, "
                                f"warehouse {plain(w.get(column))!r}")
    return problems
