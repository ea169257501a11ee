"""Copy membership CSV exports from S3 (or local files) into the raw warehouse tables.

    from loader import load, LoadSummary, LoadError
    summary = load("s3://bucket/prefix/*.csv", target="duckdb")

See docs/architecture.md ("Raw tables", "Loader API") for the contract, and
loader/run.py for what happens to objects that cannot be loaded.
"""

from loader.errors import LoadError, LoadRefused, RefusedObject, SourceError
from loader.run import load
from loader.summary import LoadSummary, ObjectResult

__all__ = ["LoadError", "LoadRefused", "LoadSummary", "ObjectResult", "RefusedObject", "SourceError", "load"]
