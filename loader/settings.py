"""The loader's configuration, resolved once from the environment and passed down.

Nothing below `load()` reads the environment (boto3 reads its own `AWS_*` variables:
that is the standard credential chain). A caller that knows better, such as
`orchestrate.py`, builds a `LoaderSettings` itself instead of setting variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DUCKDB_PATH = "warehouse/membership.duckdb"
# One name for the schema (DuckDB) or dataset (BigQuery) of the raw tables, read by
# the loader and by dbt's source definition alike.
RAW_SCHEMA_ENV = "RAW_SCHEMA"
DEFAULT_RAW_SCHEMA = {"duckdb": "raw", "bigquery": "membership_raw"}
# 160MB keeps the loader under 400 MB RSS and flat from 1M to 4M rows (the insert fills
# the cap already at 1M rows), no slower than 256MB (benchmarks/README.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "160MB"
# Below this size an object loads in a second or two; progress lines would be noise.
DEFAULT_PROGRESS_BYTES = 64 * 1024 * 1024


def default_raw_schema(target: str) -> str:
    return DEFAULT_RAW_SCHEMA.get(target, "raw")


@dataclass(frozen=True)
class LoaderSettings:
    """Everything a loader run needs besides the source URIs and the target."""

    duckdb_path: Path = Path(DEFAULT_DUCKDB_PATH)
    raw_schema: str | None = None  # None: the target's default (raw / membership_raw)
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    bigquery_project: str | None = None
    bigquery_location: str | None = None
    alias_file: Path | None = None  # JSON {"header": "column"} added to the built-in aliases
    extra_aliases: Mapping[str, str] = field(default_factory=dict)
    progress_bytes: int | None = DEFAULT_PROGRESS_BYTES  # None: never print progress
    tmpdir: Path | None = None

    def schema_for(self, target: str) -> str:
        return self.raw_schema or default_raw_schema(target)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> LoaderSettings:
        env = os.environ if environ is None else environ
        progress = env.get("LOADER_PROGRESS_BYTES")
        return cls(
            duckdb_path=Path(env.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH),
            raw_schema=env.get(RAW_SCHEMA_ENV) or None,
            duckdb_memory_limit=env.get("LOADER_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT,
            bigquery_project=env.get("GOOGLE_CLOUD_PROJECT") or None,
            bigquery_location=env.get("BQ_LOCATION") or None,
            alias_file=Path(env["LOADER_COLUMN_ALIASES"]) if env.get("LOADER_COLUMN_ALIASES") else None,
            progress_bytes=int(progress) if progress else DEFAULT_PROGRESS_BYTES,
            tmpdir=Path(env["LOADER_TMPDIR"]) if env.get("LOADER_TMPDIR") else None,
        )
