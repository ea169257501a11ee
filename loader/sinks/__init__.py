"""How a warehouse receives a load: the `Sink` interface and the factory by target name.

Everything that does not depend on the warehouse (listing objects, encodings, header
checks, rejects, manifest decisions) happens before a sink is called. A sink gets a
`PreparedCsv` (loader/csvfile.py): a UTF-8 rows file whose header is
`_source_row_number,<column>,...` and a rejects file `_source_row_number,reason,raw_line`,
both plain RFC 4180 CSV with `\\n` line ends, every value text, empty string = empty.

A sink that parses CSV itself may instead take the export file as it is
(`load_export`, a `DirectCsv`) when a scan proves every line one record.

A sink writes, in the raw schema of `LoaderSettings.schema_for(target)`, the three raw
tables of docs/architecture.md ("Raw tables"):
`membership` (columns `CANONICAL_COLUMNS`, then `METADATA_COLUMNS`, then extra CSV
columns as text, added when first seen), `membership_rejects` (`REJECT_TABLE_COLUMNS`)
and `load_manifest` (`MANIFEST_COLUMNS`).

Backing an export out (loader/forget.py) goes through the same sink: `manifest()` reads
what is loaded, `forget_objects()` deletes objects, and `load_object(..., replaces=)`
swaps a loaded object for a corrected one; each is one transaction.

To add a warehouse: write `loader/sinks/<name>.py` with a class that satisfies `Sink`,
and add a branch for it in `open_sink`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from loader.csvfile import DirectCsv, PreparedCsv
from loader.errors import LoadError
from loader.settings import LoaderSettings
from loader.sources import SourceObject
from membership_elt.targets import TARGETS

METADATA_COLUMNS = (
    "_source_uri",
    "_source_etag",
    "_source_last_modified",
    "_source_row_number",
    "_load_id",
    "_loaded_at",
)
REJECT_TABLE_COLUMNS = (
    "_source_uri",
    "_source_etag",
    "_source_row_number",
    "reason",
    "raw_line",
    "_load_id",
    "_loaded_at",
)
MANIFEST_COLUMNS = (
    "source_uri",
    "etag",
    "size_bytes",
    "last_modified",
    "encoding",
    "rows_loaded",
    "rows_rejected",
    "load_id",
    "loaded_at",
)


@dataclass(frozen=True)
class ManifestEntry:
    """One row of `load_manifest`: an object currently loaded."""

    source_uri: str
    etag: str
    size_bytes: int
    last_modified: datetime | None
    encoding: str
    rows_loaded: int
    rows_rejected: int
    load_id: str
    loaded_at: datetime


@dataclass(frozen=True)
class ForgetResult:
    """What forgetting one object deleted: its rows, its rejects and its manifest row."""

    uri: str
    rows_deleted: int
    rejects_deleted: int
    manifest_deleted: bool


class Sink(Protocol):
    """A warehouse holding the raw tables. One sink serves one loader run."""

    target: str

    def loaded_objects(self) -> dict[str, str]:
        """The manifest as {source_uri: etag}, empty when nothing was loaded yet."""
        ...

    def manifest(self) -> list[ManifestEntry]:
        """Every row of `load_manifest`, ordered by source_uri."""
        ...

    def load_object(
        self,
        obj: SourceObject,
        prepared: PreparedCsv,
        load_id: str,
        loaded_at: datetime,
        replaces: Sequence[str] = (),
    ) -> int:
        """Replace everything of `obj.uri` (rows, rejects, manifest row) with `prepared`, atomically.

        All or nothing: either the object's new rows, rejects and manifest row are all
        committed, or the tables are exactly as before (on any error, and if the process
        dies). New columns of `prepared.columns` are added to `membership` as text.
        `replaces` names other loaded objects whose rows, rejects and manifest rows are
        deleted in the same transaction (a corrected export taking a bad one's place).
        Returns the number of rows written to `membership`. Raises LoadError with a
        user-facing message when the warehouse refuses the load.
        """
        ...

    def load_export(
        self,
        obj: SourceObject,
        export: DirectCsv,
        load_id: str,
        loaded_at: datetime,
        replaces: Sequence[str] = (),
    ) -> int | None:
        """Load the export file itself, as `load_object` does, if `export.scan()` finds it regular.

        For a sink whose own CSV reader can number records in file order. It commits
        only after `export.scan()` returned the number of records it inserted; when
        the scan returns None (a line that is not a regular record), or the sink's
        reader refuses a line, it writes nothing and returns None, and the loader
        prepares the file for `load_object` instead. A sink without such a reader
        returns None at once. Else as `load_object`: all or nothing, the number of
        rows written, LoadError when the warehouse refuses.
        """
        ...

    def forget_objects(self, uris: Sequence[str]) -> list[ForgetResult]:
        """Delete every row, reject and manifest row of each of `uris`, atomically.

        All or nothing, over all of `uris` together: either every deletion is committed,
        or the tables are exactly as before (on any error, and if the process dies).
        A URI the tables do not hold deletes nothing; callers check the manifest first.
        Returns one ForgetResult per URI, in the order given. Raises LoadError with a
        user-facing message when the warehouse refuses.
        """
        ...

    def close(self) -> None:
        """Release connections; safe to call twice."""
        ...


def _duckdb_sink(schema: str, settings: LoaderSettings) -> Sink:
    from loader.sinks.duckdb import DuckDBSink

    return DuckDBSink(settings.duckdb_path, schema=schema, memory_limit=settings.duckdb_memory_limit)


def _bigquery_sink(schema: str, settings: LoaderSettings) -> Sink:
    from loader.sinks.bigquery import BigQuerySink

    return BigQuerySink(schema, project=settings.bigquery_project, location=settings.bigquery_location)


# One sink per target of membership_elt/targets.py (membership_elt/target_check.py
# lists a target without one).
SINKS: dict[str, Callable[[str, LoaderSettings], Sink]] = {"duckdb": _duckdb_sink, "bigquery": _bigquery_sink}


def open_sink(target: str, settings: LoaderSettings) -> Sink:
    """The sink for `target`, with its raw tables created if missing."""
    if target not in TARGETS:
        raise LoadError(f"unknown target {target!r}; use one of: {', '.join(TARGETS)}.")
    factory = SINKS.get(target)
    if factory is None:
        raise LoadError(f"the loader has no sink for target {target!r}; use one of: {', '.join(SINKS)}.")
    return factory(settings.schema_for(target), settings)
