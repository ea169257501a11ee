"""The loader's configuration, resolved once from the environment and passed down.

Nothing below `load()` reads the environment (boto3 reads its own `AWS_*` variables
for credentials and endpoint, and google-cloud-bigquery its $BIGQUERY_EMULATOR_HOST:
the libraries' standard chains). A caller that knows better, such as
`orchestrate.py`, builds a `LoaderSettings` itself instead of setting variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from membership_elt.targets import BIGQUERY, DUCKDB, RAW_SCHEMA_ENV, get_target

DEFAULT_DUCKDB_PATH = DUCKDB.default("DUCKDB_PATH")
DEFAULT_BIGQUERY_LOCATION = BIGQUERY.default("BQ_LOCATION")
# Attempts of one S3 request (botocore's retry) and of one object's body (resumed by
# loader.sources): $AWS_MAX_ATTEMPTS, as botocore reads it (loader/transient.py).
DEFAULT_S3_MAX_ATTEMPTS = 5
# 160MB keeps the loader under 400 MB RSS and flat from 1M to 4M rows (the insert fills
# the cap already at 1M rows), no slower than 256MB (benchmarks/README.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "160MB"
# Below this size an object loads in a second or two; progress lines would be noise.
DEFAULT_PROGRESS_BYTES = 64 * 1024 * 1024


def default_raw_schema(target: str) -> str:
    return get_target(target).raw_schema


@dataclass(frozen=True)
class LoaderSettings:
    """Everything a loader run needs besides the source URIs and the target."""

    duckdb_path: Path = Path(DEFAULT_DUCKDB_PATH)
    raw_schema: str | None = None  # None: the target's default (raw / membership_raw)
    duckdb_memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    bigquery_project: str | None = None
    bigquery_location: str = DEFAULT_BIGQUERY_LOCATION
    s3_max_attempts: int = DEFAULT_S3_MAX_ATTEMPTS
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
            bigquery_location=env.get("BQ_LOCATION") or DEFAULT_BIGQUERY_LOCATION,
            s3_max_attempts=_positive_int(env, "AWS_MAX_ATTEMPTS", DEFAULT_S3_MAX_ATTEMPTS),
            alias_file=Path(env["LOADER_COLUMN_ALIASES"]) if env.get("LOADER_COLUMN_ALIASES") else None,
            progress_bytes=int(progress) if progress else DEFAULT_PROGRESS_BYTES,
            tmpdir=Path(env["LOADER_TMPDIR"]) if env.get("LOADER_TMPDIR") else None,
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"${name} is {text!r}; set it to a whole number of at least 1 (default {default}) "
                         "or unset it")
    return value
