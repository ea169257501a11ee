"""Backing an export out of the raw tables: see what is loaded, forget it, or replace it.

    from loader import forget, list_loaded, replace_object
    list_loaded("duckdb")                       # the manifest, one ManifestEntry per object
    forget(["s3://bucket/exports/bad.csv"])     # its rows, rejects and manifest row: gone
    replace_object("s3://bucket/exports/bad.csv", "fixed/bad.csv")

A loaded object is named as the manifest stores it: `s3://bucket/key` or an absolute
local path. A relative local path is resolved the way `load()` resolves it, and a glob
(`*` within one folder, `**` across folders, as for loading) matches manifest URIs,
so an object whose file is gone can still be named.

Forgetting several objects is one transaction: all of them go, or none. A named object
that is not loaded is an error (`NotLoaded`) and nothing is forgotten.

`replace_object(OLD, NEW)` loads NEW under its own URI and forgets OLD in the same
transaction. The rows keep saying where they came from (`_source_uri`, `_source_etag`),
and the manifest then holds NEW's version, so the next run skips NEW; had NEW's rows
taken OLD's URI, the next run would see OLD's file with another ETag than the manifest
and load the bad export again. A file fixed in place needs no `replace`: its content
changed, so its ETag did, and the next load replaces its rows; `replace X X` forces
that reload now.

Neither command touches the source: when the bad file is still where the pipeline
loads from, the next run loads it again. The summaries say so for each such object.
"""

from __future__ import annotations

import difflib
import glob
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from loader.csvfile import column_aliases
from loader.errors import LoadError
from loader.handoff import Loaded, check_and_load
from loader.progress import Progress
from loader.run import new_load_id
from loader.settings import LoaderSettings
from loader.sinks import ManifestEntry, Sink, open_sink
from loader.sources import SourceObject, _glob_regex, fetch, list_objects, s3_client
from membership_elt.targets import DEFAULT_TARGET, DUCKDB

_GLOB_CHARS = re.compile(r"[*?\[]")
LIST_HINT = "run `python -m loader list` to see what is loaded (each object's URI as stored)"


class NotLoaded(LoadError):
    """A named object is not in the manifest; nothing was changed."""

    transient = False


@dataclass(frozen=True)
class Forgotten:
    """One object backed out (or, on a dry run, that would be)."""

    entry: ManifestEntry
    rows_deleted: int
    rejects_deleted: int
    # True: the file is still at its URI, so the next run loads it again; None: unknown.
    still_in_source: bool | None

    @property
    def uri(self) -> str:
        return self.entry.source_uri


@dataclass
class ForgetSummary:
    target: str
    where: str
    objects: list[Forgotten] = field(default_factory=list)
    dry_run: bool = False

    @property
    def rows_deleted(self) -> int:
        return sum(o.rows_deleted for o in self.objects)

    @property
    def rejects_deleted(self) -> int:
        return sum(o.rejects_deleted for o in self.objects)

    def text(self) -> str:
        verb = "would forget" if self.dry_run else "forgot"
        lines = [
            f"{verb} {len(self.objects)} object(s) in {self.where}: {self.rows_deleted} rows, "
            f"{self.rejects_deleted} rejected rows and {len(self.objects)} manifest row(s)"
            + ("; nothing was changed (--dry-run)" if self.dry_run else "")
        ]
        lines += [
            f"  {o.uri}: {o.rows_deleted} rows, {o.rejects_deleted} rejected "
            f"(etag {o.entry.etag}, loaded {_when(o.entry.loaded_at)}, load id {o.entry.load_id})"
            for o in self.objects
        ]
        lines += [note for o in self.objects if (note := reload_note(o.uri, o.still_in_source))]
        return "\n".join(lines)


@dataclass
class ReplaceSummary:
    target: str
    where: str
    load_id: str
    old: Forgotten
    new_uri: str
    new_etag: str
    rows_loaded: int
    rows_rejected: int
    encoding: str
    seconds: float = 0.0

    def text(self) -> str:
        old = f"{self.old.uri} ({self.old.rows_deleted} rows, {self.old.rejects_deleted} rejected)"
        new = f"({self.rows_loaded} rows, {self.rows_rejected} rejected, {self.encoding})"
        if self.new_uri == self.old.uri:
            head = f"reloaded {old} with its current version {new}"
        else:
            head = f"replaced {old} with {self.new_uri} {new}"
        lines = [
            f"{head} in one transaction in {self.where}; {self.seconds:.1f} s (load id {self.load_id})"
        ]
        if self.new_uri != self.old.uri and (note := reload_note(self.old.uri, self.old.still_in_source)):
            lines.append(note)
        return "\n".join(lines)


def reload_note(uri: str, still_in_source: bool | None) -> str | None:
    """The warning that a forgotten object's file will come back with the next run."""
    fix = f"remove or fix the file at {uri} before the next run, or it will be loaded again."
    if still_in_source is None:
        return f"note: could not check whether {uri} is still there; if it is, {fix}"
    if still_in_source:
        return f"note: {uri} is still there; {fix}"
    return None


# ---------------------------------------------------------------- API


def list_loaded(target: str = DEFAULT_TARGET, *, settings: LoaderSettings | None = None) -> list[ManifestEntry]:
    """The manifest of `target`: one entry per loaded object, ordered by URI."""
    settings = settings or LoaderSettings.from_environ()
    if _nothing_there(target, settings):
        return []
    sink = open_sink(target, settings)
    try:
        return sink.manifest()
    finally:
        sink.close()


def forget(
    source_uri: str | Sequence[str],
    target: str = DEFAULT_TARGET,
    *,
    settings: LoaderSettings | None = None,
    dry_run: bool = False,
) -> ForgetSummary:
    """Delete the rows, rejects and manifest rows of every loaded object named, in one transaction.

    Raises NotLoaded (and changes nothing) when a name matches no loaded object.
    """
    settings = settings or LoaderSettings.from_environ()
    patterns = [source_uri] if isinstance(source_uri, str) else list(source_uri)
    if not patterns:
        raise LoadError(f"no URI given; name the loaded objects to forget ({LIST_HINT}).")
    where = describe_target(target, settings)
    if _nothing_there(target, settings):
        raise NotLoaded(_not_loaded_message(patterns, [], where))
    sink = open_sink(target, settings)
    try:
        entries = _select(patterns, sink.manifest(), where)
        if dry_run:
            counts = [(e.rows_loaded, e.rows_rejected) for e in entries]
        else:
            results = sink.forget_objects([e.source_uri for e in entries])
            counts = [(r.rows_deleted, r.rejects_deleted) for r in results]
    finally:
        sink.close()
    objects = [
        Forgotten(e, rows, rejects, still_in_source(e.source_uri)) for e, (rows, rejects) in zip(entries, counts)
    ]
    return ForgetSummary(target, where, objects, dry_run)


def replace_object(
    loaded_uri: str,
    corrected_uri: str,
    target: str = DEFAULT_TARGET,
    *,
    settings: LoaderSettings | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ReplaceSummary:
    """Load `corrected_uri` (one object) and forget `loaded_uri` in the same transaction.

    The corrected rows keep their own URI and ETag. When the corrected object is the
    loaded one (fixed in place), this is a forced reload. Raises NotLoaded when
    `loaded_uri` names no loaded object, LoadError (RefusedObject as its cause) when the
    corrected file cannot be loaded; either way nothing is changed.
    """
    started = time.monotonic()
    settings = settings or LoaderSettings.from_environ()
    where = describe_target(target, settings)
    if _nothing_there(target, settings):
        raise NotLoaded(_not_loaded_message([loaded_uri], [], where))
    corrected = list_objects(corrected_uri, settings.s3_max_attempts)
    if len(corrected) != 1:
        raise LoadError(
            f"{corrected_uri}: names {len(corrected)} objects; `replace` takes one corrected file. "
            "Name it exactly, or forget the old object and load the new ones instead."
        )
    new = corrected[0]
    alias_map = column_aliases({**settings.extra_aliases, **(aliases or {})}, alias_file=settings.alias_file)
    load_id = new_load_id()
    sink = open_sink(target, settings)
    try:
        entries = _select([loaded_uri], sink.manifest(), where)
        if len(entries) != 1:
            raise LoadError(
                f"{loaded_uri}: matches {len(entries)} loaded objects; `replace` replaces one. "
                f"Name it exactly ({LIST_HINT})."
            )
        (old,) = entries
        try:
            loaded = _load_replacing(sink, new, old.source_uri, load_id, alias_map, settings)
        except LoadError as error:
            raise LoadError(f"{error}\nNothing was replaced: {old.source_uri} is still loaded as before.") from error
    finally:
        sink.close()
    gone = Forgotten(old, old.rows_loaded, old.rows_rejected, still_in_source(old.source_uri))
    return ReplaceSummary(
        target, where, load_id, gone, new.uri, new.etag, loaded.rows, loaded.rejected, loaded.encoding,
        seconds=time.monotonic() - started,
    )


def describe_target(target: str, settings: LoaderSettings) -> str:
    schema = settings.schema_for(target)
    if target == DUCKDB.name:
        return f"{target} (schema {schema} of {settings.duckdb_path})"
    return f"{target} (dataset {schema})"


def still_in_source(uri: str) -> bool | None:
    """True when the object still exists at `uri`, False when it does not, None when unknown."""
    if not uri.startswith("s3://"):
        return Path(uri).is_file()
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = uri[len("s3://"):].partition("/")
    try:
        s3_client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return False if code in {"404", "NoSuchKey", "NotFound", "NoSuchBucket"} else None
    except BotoCoreError:
        return None
    return True


# ---------------------------------------------------------------- helpers


def _nothing_there(target: str, settings: LoaderSettings) -> bool:
    # Looking must not create an empty database file where none was.
    return target == DUCKDB.name and not settings.duckdb_path.exists()


def _load_replacing(
    sink: Sink, obj: SourceObject, replaced: str, load_id: str, aliases: Mapping[str, str],
    settings: LoaderSettings,
) -> Loaded:
    progress = Progress(obj.uri, obj.size_bytes, settings.progress_bytes)
    with tempfile.TemporaryDirectory(prefix="loader-", dir=settings.tmpdir) as tmp:
        workdir = Path(tmp)
        path = fetch(obj, workdir, lambda done: progress.bytes_done("downloaded", done), settings.s3_max_attempts)
        loaded = check_and_load(sink, obj, path, workdir, aliases, progress, load_id, replaces=[replaced])
        progress.phase("committed")
    return loaded


def _select(patterns: Sequence[str], entries: Sequence[ManifestEntry], where: str) -> list[ManifestEntry]:
    """The manifest entries the patterns name, ordered by URI; NotLoaded when one names none."""
    by_uri = {e.source_uri: e for e in entries}
    chosen: set[str] = set()
    unmatched: list[str] = []
    for pattern in patterns:
        found = _matching(pattern, by_uri)
        if not found:
            unmatched.append(pattern)
        chosen |= found
    if unmatched:
        raise NotLoaded(_not_loaded_message(unmatched, list(by_uri), where))
    return [by_uri[uri] for uri in sorted(chosen)]


def _matching(pattern: str, loaded: Mapping[str, ManifestEntry]) -> set[str]:
    if pattern in loaded:
        return {pattern}
    if pattern.startswith("s3://"):
        if pattern.endswith("/"):
            pattern += "*.csv"  # a prefix names its *.csv objects, as for loading
        if _GLOB_CHARS.search(pattern):
            matcher = _glob_regex(pattern)
            return {uri for uri in loaded if matcher.match(uri)}
        return set()
    if "://" in pattern:
        return set()
    path = Path(pattern).expanduser()
    if not _GLOB_CHARS.search(pattern) and path.is_dir():
        path, pattern = path / "*.csv", str(path / "*.csv")
    if _GLOB_CHARS.search(pattern):
        # The manifest by pattern (files may be gone), and what the glob finds on disk
        # resolved as the load resolves it (symlinked folders).
        matcher = _glob_regex(os.path.abspath(path))
        found = {uri for uri in loaded if matcher.match(uri)}
        on_disk = {str(Path(p).resolve()) for p in glob.glob(str(path), recursive=True)}
        return found | (on_disk & loaded.keys())
    return {str(path.resolve()), os.path.abspath(path)} & loaded.keys()


def _not_loaded_message(patterns: Sequence[str], loaded: Sequence[str], where: str) -> str:
    lines = []
    for pattern in patterns:
        line = f"{pattern}: no loaded object in {where} has this URI"
        if not loaded:
            lines.append(f"{line} (nothing is loaded there yet).")
            continue
        # Compared by file name: loaded URIs share long prefixes that make any two look alike.
        by_name = {uri.rsplit("/", 1)[-1]: uri for uri in sorted(loaded)}
        near = difflib.get_close_matches(pattern.rsplit("/", 1)[-1], list(by_name), n=1, cutoff=0.75)
        lines.append(f"{line}; did you mean {by_name[near[0]]}?" if near else f"{line}.")
    lines.append(f"Nothing was changed; {LIST_HINT}.")
    return "\n".join(lines)


def _when(value: datetime | None) -> str:
    return "?" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def format_manifest(entries: Sequence[ManifestEntry], where: str) -> str:
    """The manifest as the `list` command prints it."""
    if not entries:
        return f"nothing is loaded in {where}."
    header = ("loaded_at", "rows", "rejected", "etag", "uri")
    rows = [
        (_when(e.loaded_at), str(e.rows_loaded), str(e.rows_rejected), e.etag, e.source_uri) for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]

    def line(cells: Sequence[str]) -> str:
        left = [c.ljust(w) if i == 0 or i == 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join([*left, cells[-1]])

    total = sum(e.rows_loaded for e in entries), sum(e.rows_rejected for e in entries)
    return "\n".join([
        line(header), *(line(r) for r in rows),
        f"{len(entries)} object(s) in {where}: {total[0]} rows, {total[1]} rejected",
    ])


__all__ = [
    "ForgetSummary", "Forgotten", "NotLoaded", "ReplaceSummary", "describe_target", "forget",
    "format_manifest", "list_loaded", "reload_note", "replace_object", "still_in_source",
]
