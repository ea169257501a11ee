"""What a dbt run cost on BigQuery: the bytes each node's query processed and billed.

dbt-bigquery puts each node's BigQuery job statistics in run_results.json as the
node's `adapter_response` (`bytes_processed`, `bytes_billed`, from the job's
totalBytesProcessed / totalBytesBilled). That is the node's main statement: for an
incremental model, the merge script (which reads the temporary table); statements a
materialization runs on the side (creating that temporary table, the GA4 models'
`max(event_date)` probe) are separate jobs that run_results does not show. DuckDB
reports no bytes, and the summary says so with `None` rather than a misleading 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def bytes_summary(results: Iterable[dict[str, Any]], kind_of: Callable[[str], str],
                  name_of: Callable[[str], str]) -> dict[str, Any] | None:
    """Totals over every node, by kind, and per model; None when no node reported bytes.

    `billed` is None where BigQuery (or a local BigQuery API) gave no billed figure;
    a total sums the nodes that gave one.
    """
    total = _Tally()
    by_kind: dict[str, _Tally] = {}
    by_model: dict[str, _Tally] = {}
    for result in results:
        response = result.get("adapter_response") or {}
        if "bytes_processed" not in response and "bytes_billed" not in response:
            continue
        unique_id = result["unique_id"]
        kind = kind_of(unique_id)
        processed, billed = _int(response.get("bytes_processed")), _int(response.get("bytes_billed"))
        for tally in (total, by_kind.setdefault(kind, _Tally())):
            tally.add(processed, billed)
        if kind == "models":
            by_model.setdefault(name_of(unique_id), _Tally()).add(processed, billed)
    if not total.nodes:
        return None
    largest = max(by_model.items(), key=lambda item: (item[1].processed, item[0]), default=None)
    return {
        **total.as_dict(),
        "by_kind": {kind: tally.as_dict() for kind, tally in sorted(by_kind.items())},
        "by_model": {name: tally.as_dict() for name, tally in sorted(by_model.items())},
        "largest_model": largest[0] if largest else None,
    }


def bytes_line(summary: dict[str, Any]) -> str:
    """One line for a person: the totals and the model that processed the most."""
    billed = "billed not reported" if summary["billed"] is None else f"{format_bytes(summary['billed'])} billed"
    line = f"BigQuery: {format_bytes(summary['processed'])} processed, {billed}"
    largest = summary.get("largest_model")
    if largest:
        line += f"; largest: {largest} {format_bytes(summary['by_model'][largest]['processed'])}"
    return line


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
        self.nodes = 0
        self.processed = 0
        self.billed: int | None = None

    def add(self, processed: int | None, billed: int | None) -> None:
        self.nodes += 1
        self.processed += processed or 0
        if billed is not None:
            self.billed = (self.billed or 0) + billed

    def as_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "billed": self.billed, "nodes": self.nodes}
