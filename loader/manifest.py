"""What was loaded before: which listed objects a run loads and which it skips.

The manifest (table `load_manifest`, kept by the sink) maps each loaded object's URI to
the ETag (S3) or content md5 (local file) of the version loaded. An object whose URI and
ETag are both there is skipped; a new URI, or a known URI with another ETag, is loaded,
and loading it replaces that URI's earlier rows. Objects that disappeared from the
source keep their rows: a missing object is not a deletion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from loader.sources import SourceObject


def needs_load(obj: SourceObject, loaded: Mapping[str, str]) -> bool:
    """True unless this very version of the object is already loaded."""
    return loaded.get(obj.uri) != obj.etag


def unique_objects(objects: Iterable[SourceObject]) -> list[SourceObject]:
    """Objects named by several SOURCE_URIs are loaded once; order by URI."""
    by_uri: dict[str, SourceObject] = {}
    for obj in objects:
        by_uri.setdefault(obj.uri, obj)
    return [by_uri[uri] for uri in sorted(by_uri)]
