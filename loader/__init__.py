"""Copy membership CSV exports from S3 (or local files) into the raw warehouse tables.

    from loader import load, LoadSummary, LoaderSettings
    summary = load("s3://bucket/prefix/*.csv", target="duckdb", settings=LoaderSettings(...))
    list_loaded("duckdb"); forget("s3://bucket/prefix/bad.csv"); replace_object(old_uri, corrected_uri)

See docs/architecture.md ("Raw tables", "Loader API") for the contract, loader/run.py
for what happens to objects that cannot be loaded, loader/forget.py for backing an
export out, and loader/transient.py for which failures are retried and by whom.
"""

from loader.errors import LoadError, LoadFailed, LoadIncomplete, LoadRefused, RefusedObject, SourceError
from loader.forget import ForgetSummary, NotLoaded, ReplaceSummary, forget, list_loaded, replace_object
from loader.run import load
from loader.settings import LoaderSettings
from loader.summary import LoadSummary, ObjectResult

__all__ = [
    "ForgetSummary", "LoadError", "LoadFailed", "LoadIncomplete", "LoadRefused", "LoadSummary",
    "LoaderSettings", "NotLoaded", "ObjectResult", "RefusedObject", "ReplaceSummary", "SourceError",
    "forget", "list_loaded", "load", "replace_object",
]
