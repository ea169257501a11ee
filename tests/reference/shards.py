"""The GA4 shards as the reference reads them, each file parsed once per process.

The reference computations read every daily shard up to three times per call, and a
test module compares the same data several times (after one more day, all but one
shard are the same files). Parsing is most of the reference's cost, so the parsed rows
are kept by the file's content digest: a changed file is a new key, and what the
functions return is exactly what reading the file gives. The rows are shared between
callers and must not be modified.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

# About two data sets of the tests' size: enough for a module's repeated comparisons,
# small enough that a worker's memory stays flat over the session.
_MAX_SHARDS = 160

_rows: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
_distinct: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()


def _digest(path: Path) -> str:
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=20).hexdigest()


def _remember(cache: OrderedDict[str, list[dict[str, Any]]], key: str, rows: list[dict[str, Any]]) -> None:
    cache[key] = rows
    while len(cache) > _MAX_SHARDS:
        cache.popitem(last=False)


def _read(key: str, path: Path) -> list[dict[str, Any]]:
    if key in _rows:
        _rows.move_to_end(key)
        return _rows[key]
    rows = pq.read_table(path).to_pylist()
    _remember(_rows, key, rows)
    return rows


def shard_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of one shard as a dict (a column the shard lacks is absent), in file order."""
    return _read(_digest(path), path)


def distinct_shard_rows(path: Path) -> list[dict[str, Any]]:
    """The shard's rows with exact duplicates (equal in every column) once, the first kept."""
    key = _digest(path)
    if key in _distinct:
        _distinct.move_to_end(key)
        return _distinct[key]
    rows = _read(key, path)
    # Rows equal in every column are equal in these three, so only rows sharing them
    # are compared in full.
    candidates: dict[tuple[Any, ...], list[int]] = {}
    for index, row in enumerate(rows):
        cheap = (row.get("event_timestamp"), row.get("event_name"), row.get("user_pseudo_id"))
        candidates.setdefault(cheap, []).append(index)
    duplicates: set[int] = set()
    for indexes in candidates.values():
        if len(indexes) > 1:
            seen: set[str] = set()
            for index in indexes:
                fingerprint = repr(sorted(rows[index].items()))
                if fingerprint in seen:
                    duplicates.add(index)
                seen.add(fingerprint)
    distinct = [row for index, row in enumerate(rows) if index not in duplicates]
    _remember(_distinct, key, distinct)
    return distinct


@functools.lru_cache(maxsize=4096)
def event_day(text: str) -> dt.date:
    """An `event_date` value (YYYYMMDD) as a date; a shard repeats its few values."""
    return dt.datetime.strptime(text, "%Y%m%d").date()
