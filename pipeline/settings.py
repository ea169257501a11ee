"""Arguments and environment resolved once into typed `Settings`, passed to every step.

Nothing here writes the environment: the loader gets a `LoaderSettings`, dbt gets
its variables in the environment of its own child process (`dbt_environment`).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loader.settings import LoaderSettings
from membership_elt.targets import DUCKDB, get_target

ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = ROOT / "dbt_project"
SAMPLE_DATA_DIR = ROOT / "sample_data"
DEFAULT_SOURCE_URI = "sample_data/membership/*.csv"
DEFAULT_DUCKDB_PATH = DUCKDB.default("DUCKDB_PATH")
DEFAULT_GA4_LOCAL_PATH = "sample_data/ga4"
DEFAULT_LOCK_FILE = ROOT / "target" / "orchestrate.lock"
DEFAULT_SUMMARY_FILE = ROOT / "target" / "run_summary.json"
DEFAULT_REPORT_PATH = ROOT / "target" / "report" / "index.html"


def absolute(value: str | None, default: str) -> str:
    """A configured path made absolute against the working directory; the default
    against the repository root, so a scheduler may start us from anywhere."""
    if value and (value == ":memory:" or value.startswith("md:")):
        return value  # DuckDB's in-memory and MotherDuck databases are not files
    if value:
        return str(Path(value).expanduser().resolve())
    return str(ROOT / default)


def source_uri(value: str | None) -> str:
    if value and "://" in value:
        return value
    return absolute(value, DEFAULT_SOURCE_URI)


@dataclass(frozen=True)
class Settings:
    """One run of the pipeline, fully resolved."""

    target: str
    source_uri: str
    duckdb_path: str
    ga4_local_path: str | None  # None: no GA4 source (a membership source of one's own, GA4 unset)
    raw_schema: str
    vars: dict[str, Any]  # what --vars, --start-date and --end-date set
    effective_vars: dict[str, Any]  # every declared var with the value this run uses
    generate_sample_data: bool
    full_refresh: bool = False
    # dbt's unit tests check the models' SQL on fixed inputs, not the data: a scheduled
    # run leaves them out (as dbt advises for production builds); `make test` runs them.
    unit_tests: bool = False
    skip_load: bool = False
    select: str | None = None
    docs: bool = False
    log_format: str = "text"
    retries: int = 2
    retry_delay: float = 10.0
    lock_file: Path = DEFAULT_LOCK_FILE
    summary_file: Path = DEFAULT_SUMMARY_FILE
    report: bool = False  # write the KPI report page after a successful build
    report_path: Path = DEFAULT_REPORT_PATH
    # Made before the steps run, so that a step (the report) can show it.
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    interactive: bool = False  # a person watches a terminal: colours and a live progress line
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def log_dir(self) -> Path:
        """Where each step's full log goes: beside the run summary."""
        return self.summary_file.parent / "logs"

    @property
    def dbt_target_path(self) -> Path:
        return DBT_PROJECT_DIR / (self.environ.get("DBT_TARGET_PATH") or "target")

    def loader_settings(self) -> LoaderSettings:
        base = LoaderSettings.from_environ(self.environ)
        return replace(
            base,
            duckdb_path=Path(self.duckdb_path),
            raw_schema=self.raw_schema,
            # A JSON log stream must hold JSON only; the step's own records say what loaded.
            progress_bytes=None if self.log_format == "json" else base.progress_bytes,
        )

    def dbt_environment(self) -> dict[str, str]:
        """The environment of the dbt child process: ours plus the resolved settings
        the profile and the sources read."""
        environment = {
            **self.environ,
            "DBT_TARGET": self.target,
            "DUCKDB_PATH": self.duckdb_path,
            "RAW_SCHEMA": self.raw_schema,
        }
        if self.ga4_local_path:
            environment["GA4_LOCAL_PATH"] = self.ga4_local_path
        return environment


def ga4_local_path(environ: Mapping[str, str]) -> str | None:
    """GA4_LOCAL_PATH made absolute; the sample's GA4 shards only beside the sample's
    membership exports, so that one's own exports never meet the sample's GA4 data."""
    if environ.get("GA4_LOCAL_PATH"):
        return absolute(environ["GA4_LOCAL_PATH"], DEFAULT_GA4_LOCAL_PATH)
    if environ.get("MEMBERSHIP_SOURCE_URI"):
        return None
    return absolute(None, DEFAULT_GA4_LOCAL_PATH)


def needs_sample_data(target: str, environ: Mapping[str, str]) -> bool:
    """True on the unconfigured DuckDB default when the sample data is missing."""
    configured = any(environ.get(name) for name in ("MEMBERSHIP_SOURCE_URI", "GA4_LOCAL_PATH"))
    missing = not (SAMPLE_DATA_DIR / "membership").is_dir() or not (SAMPLE_DATA_DIR / "ga4").is_dir()
    return target == DUCKDB.name and not configured and missing


def resolve(target: str, given_vars: dict[str, Any], declared: dict[str, Any],
            environ: Mapping[str, str] | None = None, **options: Any) -> Settings:
    """Settings for `target` from the checked vars, the environment and the run's
    options (the other fields of Settings, as the command line gives them)."""
    env = dict(os.environ if environ is None else environ)
    log_format = options.get("log_format", "text")
    return Settings(
        target=target,
        source_uri=source_uri(env.get("MEMBERSHIP_SOURCE_URI")),
        duckdb_path=absolute(env.get("DUCKDB_PATH"), DEFAULT_DUCKDB_PATH),
        ga4_local_path=ga4_local_path(env),
        raw_schema=get_target(target).raw_schema_in(env),
        vars=given_vars,
        effective_vars={**declared, **given_vars},
        generate_sample_data=needs_sample_data(target, env),
        interactive=log_format == "text" and sys.stdout.isatty(),
        environ=env,
        **options,
    )
