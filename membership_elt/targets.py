"""The warehouses the project runs on, and their defaults: the one registry.

The loader (`loader/settings.py`, `loader/sinks/`, `loader/forget.py`), the pipeline
(`pipeline/cli.py`, `pipeline/settings.py`, `pipeline/warehouse.py`, the report) and
the Airflow DAG (`pipeline/airflow_support.py`) read a target's name, schemas and
defaults from here. dbt reads its own copy in `dbt_project/profiles.yml`;
`membership_elt/target_check.py` (run by the tests) checks the two agree and lists what
a target registered here still lacks elsewhere (docs/architecture.md, "Where to make a
change": a warehouse).

Standard library only: Airflow's own interpreter imports it too.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

TARGET_ENV = "DBT_TARGET"  # which target a run uses, as the dbt profile reads it
RAW_SCHEMA_ENV = "RAW_SCHEMA"  # the raw tables' schema / dataset, for the loader and dbt alike


@dataclass(frozen=True)
class Target:
    """One warehouse: the name of its output in dbt_project/profiles.yml and its defaults."""

    name: str
    raw_schema: str
    """Schema (dataset) of the raw tables the loader writes, unless $RAW_SCHEMA says otherwise."""
    marts_schema: str
    """Schema (dataset) dbt builds the models in, unless `marts_schema_env` says otherwise."""
    marts_schema_env: str | None = None
    single_writer: bool = False
    """Only one process may write at a time (a DuckDB file): Airflow serialises its tasks."""
    environment_defaults: Mapping[str, str] = field(default_factory=dict)
    """The profile's variables with their defaults (paths relative to the repository root)."""

    def marts_schema_in(self, environ: Mapping[str, str]) -> str:
        if self.marts_schema_env and environ.get(self.marts_schema_env):
            return environ[self.marts_schema_env]
        return self.marts_schema

    def raw_schema_in(self, environ: Mapping[str, str]) -> str:
        return environ.get(RAW_SCHEMA_ENV) or self.raw_schema

    def default(self, variable: str) -> str:
        return self.environment_defaults[variable]


DUCKDB = Target(
    name="duckdb",
    raw_schema="raw",
    marts_schema="analytics",
    single_writer=True,
    environment_defaults={"DUCKDB_PATH": "warehouse/membership.duckdb"},
)
BIGQUERY = Target(
    name="bigquery",
    raw_schema="membership_raw",
    marts_schema="membership_analytics",
    marts_schema_env="BQ_DATASET",
    environment_defaults={"BQ_DATASET": "membership_analytics", "BQ_LOCATION": "US"},
)

TARGETS: dict[str, Target] = {target.name: target for target in (DUCKDB, BIGQUERY)}
DEFAULT_TARGET = DUCKDB.name


class UnknownTarget(ValueError):
    """A target name the registry does not hold; the message lists those it does."""


def target_names() -> tuple[str, ...]:
    return tuple(TARGETS)


def get_target(name: str, where: str = "the target") -> Target:
    """The registered target `name`; `where` names where the name came from."""
    try:
        return TARGETS[name]
    except KeyError:
        raise UnknownTarget(f"{where} is {name!r}; use one of {', '.join(TARGETS)} "
                            "(membership_elt/targets.py registers them)") from None


def target_from_environ(environ: Mapping[str, str]) -> Target:
    """The target $DBT_TARGET names, else the default one."""
    return get_target(environ.get(TARGET_ENV) or DEFAULT_TARGET, f"${TARGET_ENV}")


def add_target_option(parser: argparse.ArgumentParser) -> None:
    """`--target`, one of the registered targets, by default $DBT_TARGET's (as dbt's)."""
    parser.add_argument("--target", choices=target_names(),
                        default=os.environ.get(TARGET_ENV) or DEFAULT_TARGET,
                        help=f"warehouse (default: ${TARGET_ENV}, else {DEFAULT_TARGET})")
