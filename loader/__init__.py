"""Copy membership CSV exports from S3 (or local files) into the raw warehouse tables.

    from loader import load, LoadSummary, LoaderSettings
    summary = load("s3://bucket/prefix/*.csv", target="duckdb", settings=LoaderSettings(...))

See docs/architecture.md ("Raw tables", "Loader API") for the contract, loader/run.py
for what happens to objects that cannot be loaded, and loader/transient.py for which
failures are retried and by whom.
"""

from loader.errors import LoadError, LoadFailed, LoadIncomplete, LoadRefused, RefusedObject, SourceError
from loader.run import load
from loader.settings import LoaderSettings
from loader.summary import LoadSummary, ObjectResult

__all__ = [
    "LoadError", "LoadFailed", "LoadIncomplete", "LoadRefused", "LoadSummary", "LoaderSettings",
    "ObjectResult", "RefusedObject", "SourceError", "load",
]
