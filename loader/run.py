"""One loader run: list the objects, skip the loaded ones, check and load the others.

What happens when something is wrong:
- a SOURCE_URI that names nothing (no bucket, no key, no match, access denied while
  listing) raises LoadError before anything is written;
- an object that cannot be loaded (not a membership export, undecodable, a download
  or warehouse failure) is refused: nothing of it is written, the run goes on with the
  other objects, which are loaded, and at the end `load()` raises LoadRefused, whose
  `summary` holds the whole run. `python -m loader` then exits non-zero.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from loader.csvfile import column_aliases, prepare
from loader.errors import LoadError, LoadRefused
from loader.manifest import needs_load, unique_objects
from loader.progress import Progress
from loader.sinks import Sink, open_sink
from loader.sources import SourceObject, fetch, list_objects
from loader.summary import LoadSummary, ObjectResult


def new_load_id() -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    return f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def load(
    source_uri: str | Sequence[str],
    target: str = "duckdb",
    *,
    duckdb_path: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> LoadSummary:
    """Load every object named by `source_uri` (one URI or several) into the raw tables of `target`.

    `aliases` adds header aliases ({"header as in the file": "column"}) on top of the
    defaults and $LOADER_COLUMN_ALIASES. Returns the summary; raises LoadError when a
    SOURCE_URI names nothing, LoadRefused when some objects were refused.
    """
    started = time.monotonic()
    uris = [source_uri] if isinstance(source_uri, str) else list(source_uri)
    if not uris:
        raise LoadError("no SOURCE_URI given; name an s3:// object, prefix glob or local file.")
    alias_map = column_aliases(aliases)
    objects = unique_objects(obj for uri in uris for obj in list_objects(uri))

    summary = LoadSummary(load_id=new_load_id(), target=target)
    sink = open_sink(target, duckdb_path=duckdb_path)
    try:
        loaded = sink.loaded_objects()
        for obj in objects:
            if needs_load(obj, loaded):
                summary.objects.append(_load_object(obj, sink, summary.load_id, alias_map))
            else:
                summary.objects.append(
                    ObjectResult(
                        obj.uri, obj.etag, obj.size_bytes, "skipped", message=f"{obj.uri}: already loaded"
                    )
                )
    finally:
        sink.close()
        summary.seconds = time.monotonic() - started
    if summary.objects_refused:
        errors = [o.error for o in summary.objects if o.error is not None]
        # Chain the first error that has a cause (a network or warehouse error) so that
        # callers can tell a transient failure from a bad file.
        raise LoadRefused(summary) from next((e for e in errors if e.__cause__), errors[0] if errors else None)
    return summary


def _load_object(obj: SourceObject, sink: Sink, load_id: str, aliases: Mapping[str, str]) -> ObjectResult:
    started = time.monotonic()
    progress = Progress(obj.uri, obj.size_bytes)
    try:
        with tempfile.TemporaryDirectory(prefix="loader-", dir=os.environ.get("LOADER_TMPDIR")) as tmp:
            workdir = Path(tmp)
            path = fetch(obj, workdir, lambda done: progress.bytes_done("downloaded", done))
            progress.phase("checking")
            prepared = prepare(path, obj.uri, workdir, aliases, progress)
            progress.phase(f"writing {prepared.rows} rows to {sink.target}")
            rows = sink.load_object(obj, prepared, load_id, datetime.now(timezone.utc))
            progress.phase("committed")
    except LoadError as exc:
        return ObjectResult(
            obj.uri,
            obj.etag,
            obj.size_bytes,
            "refused",
            seconds=time.monotonic() - started,
            message=str(exc),
            error=exc,
        )
    return ObjectResult(
        obj.uri,
        obj.etag,
        obj.size_bytes,
        "loaded",
        rows_loaded=rows,
        rows_rejected=prepared.rejected,
        encoding=prepared.encoding,
        reader=prepared.reader,
        seconds=time.monotonic() - started,
    )
