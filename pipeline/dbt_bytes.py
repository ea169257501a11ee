"""What a dbt run cost on BigQuery: the bytes its jobs processed and billed, by model.

Two sources, the first whenever it can be had:

- `jobs`: every job the invocation issued, read back from BigQuery
  (pipeline/bigquery_jobs.py): a model's main statement and what its
  materialization runs on the side (the temporary table and merge of an incremental
  model, the GA4 models' `max(event_date)` look-up, the export's table listing),
  the hooks and the tests, each under the node whose query comment it carries.
- `main_statements`: run_results.json's `adapter_response` of each node
  (`bytes_processed`, `bytes_billed`), which dbt-bigquery takes from the node's main
  statement only: a lower bound, used when the jobs cannot be listed.

DuckDB reports no bytes, and the summary says so with `None` rather than a misleading 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pipeline.bigquery_jobs import Job

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
MODELS_SHOWN = 5
OUTSIDE_NODES = "outside_nodes"  # statements dbt ran for the invocation, not for a node


def bytes_summary(results: Iterable[dict[str, Any]], kind_of: Callable[[str], str],
                  name_of: Callable[[str], str]) -> dict[str, Any] | None:
    """From run_results.json: each node's main statement; None when no node reported bytes."""
    entries = []
    for result in results:
        response = result.get("adapter_response") or {}
        if "bytes_processed" not in response and "bytes_billed" not in response:
            continue
        entries.append((result["unique_id"], _int(response.get("bytes_processed")),
                        _int(response.get("bytes_billed"))))
    return _summary(entries, kind_of, name_of, "main_statements")


def jobs_summary(jobs: Iterable[Job], kind_of: Callable[[str], str],
                 name_of: Callable[[str], str]) -> dict[str, Any] | None:
    """From every job of the invocation; None when it issued none."""
    return _summary([(job.node_id, job.processed, job.billed) for job in jobs], kind_of, name_of, "jobs")


def _summary(entries: list[tuple[str | None, int | None, int | None]], kind_of: Callable[[str], str],
             name_of: Callable[[str], str], source: str) -> dict[str, Any] | None:
    """Totals, by kind and per model. `billed` is None where BigQuery (or a local
    BigQuery API) gave no billed figure; a total sums the jobs that gave one."""
    total = _Tally()
    by_kind: dict[str, _Tally] = {}
    by_model: dict[str, _Tally] = {}
    for unique_id, processed, billed in entries:
        kind = kind_of(unique_id) if unique_id else OUTSIDE_NODES
        for tally in (total, by_kind.setdefault(kind, _Tally())):
            tally.add(processed, billed)
        if kind == "models" and unique_id:
            by_model.setdefault(name_of(unique_id), _Tally()).add(processed, billed)
    if not total.jobs:
        return None
    largest = max(by_model.items(), key=lambda item: (item[1].processed, item[0]), default=None)
    return {
        "source": source,
        **total.as_dict(),
        "by_kind": {kind: tally.as_dict() for kind, tally in sorted(by_kind.items())},
        "by_model": {name: tally.as_dict() for name, tally in sorted(by_model.items())},
        "largest_model": largest[0] if largest else None,
    }


def bytes_line(summary: dict[str, Any]) -> str:
    """One line for a person: the totals and the model that processed the most."""
    billed = "billed not reported" if summary["billed"] is None else f"{format_bytes(summary['billed'])} billed"
    counted = ("every job" if summary.get("source") == "jobs"
               else "main statements only")
    line = f"BigQuery: {format_bytes(summary['processed'])} processed, {billed} ({summary['jobs']} jobs, {counted})"
    largest = summary.get("largest_model")
    if largest:
        line += f"; largest: {largest} {format_bytes(summary['by_model'][largest]['processed'])}"
    return line


def bytes_lines(summary: dict[str, Any], models_shown: int = MODELS_SHOWN) -> list[str]:
    """The summary's lines: the totals, then the models that processed the most."""
    lines = [bytes_line(summary)]
    ranked = sorted(summary["by_model"].items(), key=lambda item: (-item[1]["processed"], item[0]))
    if summary.get("source") == "jobs" and ranked:
        shown = ", ".join(f"{name} {format_bytes(tally['processed'])} ({tally['jobs']} jobs)"
                          for name, tally in ranked[:models_shown])
        more = len(ranked) - models_shown
        lines.append(f"  by model: {shown}" + (f", and {more} more (run summary file)" if more > 0 else ""))
    if summary.get("jobs_error"):
        lines.append(f"  not every job counted: {summary['jobs_error']}")
    return lines


def format_bytes(count: int) -> str:
    """Binary units, as BigQuery bills (per TiB): 1288490189 -> '1.2 GiB'."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _int(value: Any) -> int | None:
    """A byte count as dbt wrote it (an int; None when the job gave none)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # dbt-bigquery's dry-run response holds formatted text here


class _Tally:
    def __init__(self) -> None:
        self.jobs = 0
        self.processed = 0
        self.billed: int | None = None

    def add(self, processed: int | None, billed: int | None) -> None:
        self.jobs += 1
        self.processed += processed or 0
        if billed is not None:
            self.billed = (self.billed or 0) + billed

    def as_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "billed": self.billed, "jobs": self.jobs}
