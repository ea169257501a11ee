"""How a fetched export reaches a sink: the file itself when the sink reads it, else prepared files.

A sink that parses CSV itself (DuckDB) gets the export as a `DirectCsv`: it loads the
file while the scan that proves every line a regular record runs beside it, and
commits only if the scan agrees. Any other export (a quoted line end, a blank or
ragged line, CP949), and every export for a sink that cannot number rows (BigQuery),
is prepared by `csvfile.prepare` (the byte-level pass or the csv module) and loaded
from the prepared rows and rejects files. The raw tables come out the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from loader.csvfile import direct_export, prepare
from loader.progress import Progress
from loader.sinks import Sink
from loader.sources import SourceObject


@dataclass(frozen=True)
class Loaded:
    """What one committed load wrote, and which reader read the records."""

    rows: int
    rejected: int
    encoding: str
    # "direct" (the sink's own reader on the export), "lines" or "csv" (csvfile.PreparedCsv.reader).
    reader: str


def check_and_load(
    sink: Sink,
    obj: SourceObject,
    path: Path,
    workdir: Path,
    aliases: Mapping[str, str],
    progress: Progress,
    load_id: str,
    replaces: Sequence[str] = (),
) -> Loaded:
    """Check the local copy `path` of `obj` and load it, in one transaction; raises as prepare() and the sink do."""
    replacing = f", replacing {', '.join(replaces)}" if replaces else ""
    export = direct_export(path, obj.uri, aliases, progress)
    if export is not None:
        progress.phase(f"writing rows to {sink.target} while checking them{replacing}")
        rows = sink.load_export(obj, export, load_id, datetime.now(UTC), replaces=replaces)
        if rows is not None:
            return Loaded(rows, 0, export.encoding, "direct")
    progress.phase("checking")
    prepared = prepare(path, obj.uri, workdir, aliases, progress)
    progress.phase(f"writing {prepared.rows} rows to {sink.target}{replacing}")
    rows = sink.load_object(obj, prepared, load_id, datetime.now(UTC), replaces=replaces)
    return Loaded(rows, prepared.rejected, prepared.encoding, prepared.reader)
