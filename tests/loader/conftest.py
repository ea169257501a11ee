"""Helpers of the loader tests that write a small export, load it alone and read back its rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loader import load
from loader.summary import ObjectResult

# Columns every load adds; the rows of two loads of the same content differ only in these.
LOAD_COLUMNS = {"_source_uri", "_source_etag", "_source_last_modified", "_load_id", "_loaded_at"}


def write_export(path: Path, lines: list[str], *, newline: str = "\n", end: bool = True,
                 encoding: str = "utf-8") -> Path:
    """An export of these lines, with this line end and encoding, ending in a line end or not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + (newline if end else "")).encode(encoding))
    return path


def load_one(path: Path, duckdb_path: Path) -> ObjectResult:
    """Load one file; it must load."""
    [result] = load(str(path), duckdb_path=str(duckdb_path)).objects
    assert result.status == "loaded", result.message
    return result


def loaded_rows(raw_tables: Any, path: Path, name: str = "membership") -> list[tuple[Any, ...]]:
    """The rows of raw.<name> that came from `path`, without the load's own columns, sorted."""
    rows = [r for r in raw_tables()[name] if r["_source_uri"] == str(path)]
    return sorted(tuple(sorted((k, v) for k, v in r.items() if k not in LOAD_COLUMNS)) for r in rows)
