"""One loader run: list the objects, skip the loaded ones, check and load the others.

What happens when something is wrong:
- a SOURCE_URI that names nothing (no bucket, no key, no match, access denied while
  listing) raises SourceError before anything is written;
- an object whose *file* is wrong (not a membership export, undecodable, empty, a
  required column missing) is refused; an object that could not be fetched or written
  (network, throttling, the warehouse) failed. Either way nothing of it is written and
  the run goes on with the other objects, which are loaded. At the end `load()` raises
  LoadRefused when any object was refused, else LoadFailed when any failed; both carry
  the whole run in `summary`. loader/transient.py says which failures are worth a retry.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from loader.csvfile import column_aliases
from loader.errors import LoadError, LoadFailed, LoadRefused, RefusedObject
from loader.handoff import check_and_load
from loader.manifest import needs_load, unique_objects
from loader.progress import Progress
from loader.settings import LoaderSettings
from loader.sinks import Sink, open_sink
from loader.sources import SourceObject, fetch, list_objects
from loader.summary import LoadSummary, ObjectResult
from loader.transient import is_transient
from membership_elt.targets import DEFAULT_TARGET


def new_load_id() -> str:
    """Sortable and unique: UTC start time plus a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def load(
    source_uri: str | Sequence[str],
    target: str = DEFAULT_TARGET,
    *,
    settings: LoaderSettings | None = None,
    duckdb_path: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> LoadSummary:
    """Load every object named by `source_uri` (one URI or several) into the raw tables of `target`.

    `settings` defaults to `LoaderSettings.from_environ()`; `duckdb_path` and `aliases`
    (extra {"header as in the file": "column"}) override it. Returns the summary;
    raises SourceError when a SOURCE_URI names nothing, LoadRefused when some objects
    were refused, LoadFailed when some failed.
    """
    started = time.monotonic()
    settings = settings or LoaderSettings.from_environ()
    if duckdb_path is not None:
        settings = replace(settings, duckdb_path=Path(duckdb_path))
    uris = [source_uri] if isinstance(source_uri, str) else list(source_uri)
    if not uris:
        raise LoadError("no SOURCE_URI given; name an s3:// object, prefix glob or local file.")
    alias_map = column_aliases({**settings.extra_aliases, **(aliases or {})}, alias_file=settings.alias_file)
    objects = unique_objects(obj for uri in uris for obj in list_objects(uri, settings.s3_max_attempts))

    summary = LoadSummary(load_id=new_load_id(), target=target)
    sink = open_sink(target, settings)
    try:
        loaded = sink.loaded_objects()
        for obj in objects:
            if needs_load(obj, loaded):
                summary.objects.append(_load_object(obj, sink, summary.load_id, alias_map, settings))
            else:
                summary.objects.append(
                    ObjectResult(
                        obj.uri, obj.etag, obj.size_bytes, "skipped", message=f"{obj.uri}: already loaded"
                    )
                )
    finally:
        sink.close()
        summary.seconds = time.monotonic() - started
    if summary.objects_refused or summary.objects_failed:
        first = next(o.error for o in summary.objects if o.error is not None)
        raise (LoadRefused if summary.objects_refused else LoadFailed)(summary) from first
    return summary


def _load_object(
    obj: SourceObject, sink: Sink, load_id: str, aliases: Mapping[str, str], settings: LoaderSettings
) -> ObjectResult:
    started = time.monotonic()
    progress = Progress(obj.uri, obj.size_bytes, settings.progress_bytes)
    try:
        with tempfile.TemporaryDirectory(prefix="loader-", dir=settings.tmpdir) as tmp:
            workdir = Path(tmp)
            path = fetch(obj, workdir, lambda done: progress.bytes_done("downloaded", done),
                         settings.s3_max_attempts)
            loaded = check_and_load(sink, obj, path, workdir, aliases, progress, load_id)
            progress.phase("committed")
    except LoadError as exc:
        refused = isinstance(exc, RefusedObject)
        return ObjectResult(
            obj.uri,
            obj.etag,
            obj.size_bytes,
            "refused" if refused else "failed",
            seconds=time.monotonic() - started,
            message=str(exc),
            transient=not refused and is_transient(exc),
            error=exc,
        )
    return ObjectResult(
        obj.uri,
        obj.etag,
        obj.size_bytes,
        "loaded",
        rows_loaded=loaded.rows,
        rows_rejected=loaded.rejected,
        encoding=loaded.encoding,
        reader=loaded.reader,
        seconds=time.monotonic() - started,
    )
