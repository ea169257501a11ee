"""Figures, targets, the machine description, and the printed table."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata

import psutil


@dataclass
class Figure:
    """One measured number, the baseline it is read against, and its target.

    `limit` applies to the ratio when `limit_on` is "ratio", to the value itself
    when it is "value"; a figure without a limit is reported, not judged.
    """

    section: str
    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline: float | None = None
    limit: float | None = None
    limit_on: str = "ratio"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str | None:
        if self.limit is None:
            return None
        if self.limit_on == "ratio":
            return f"ratio <= {self.limit:g}"
        return f"<= {self.limit:g} {self.unit}"

    @property
    def passed(self) -> bool | None:
        if self.limit is None:
            return None
        judged = self.ratio if self.limit_on == "ratio" else self.value
        return judged is not None and judged <= self.limit

    def as_dict(self) -> dict[str, object]:
        ratio = self.ratio
        return {
            "section": self.section,
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline_name": self.baseline_name,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if ratio is None else round(ratio, 3),
            "target": self.target,
            "passed": self.passed,
            "note": self.note,
        }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, object]:
    load1, load5, _ = os.getloadavg()
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_total_mb": round(psutil.virtual_memory().total / 2**20),
        "load_average_at_start": [round(load1, 2), round(load5, 2)],
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "duckdb": _version("duckdb"),
        "dbt_core": _version("dbt-core"),
        "dbt_duckdb": _version("dbt-duckdb"),
    }


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    return f"{text} {unit}".strip()


def table(figures: list[Figure]) -> str:
    """A plain-text table (also valid Markdown) of every figure."""
    return table_from_rows([figure.as_dict() for figure in figures])


def table_from_rows(figures: list[dict[str, object]]) -> str:
    """The table of figures as written to results.json (Figure.as_dict())."""
    header = ["section", "figure", "value", "baseline", "ratio", "target", "met"]
    rows = [header, ["---"] * len(header)]
    for figure in figures:
        unit = str(figure["unit"])
        met = {True: "yes", False: "NO", None: "-"}[figure["passed"]]  # type: ignore[index]
        baseline = (
            "-" if figure["baseline"] is None
            else f"{_fmt(figure['baseline'], unit)} ({figure['baseline_name']})"  # type: ignore[arg-type]
        )
        rows.append([
            str(figure["section"]),
            str(figure["name"]),
            _fmt(figure["value"], unit),  # type: ignore[arg-type]
            baseline,
            "-" if figure["ratio"] is None else f"{figure['ratio']:.2f}x",
            str(figure["target"] or "-"),
            met,
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        if row[0] == "---":
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        else:
            lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
    return "\n".join(lines)
