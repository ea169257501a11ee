"""Read-only queries of the run's warehouse: DuckDB, or BigQuery through its client."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from membership_elt.targets import get_target
from pipeline.settings import Settings


def marts_schema(settings: Settings) -> str:
    """Where the dbt models are: the profile's schema (DuckDB) or dataset (BigQuery)."""
    return get_target(settings.target).marts_schema_in(settings.environ)


def plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def query(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of `sql`, run read-only on the run's target."""
    reader = READERS.get(settings.target)
    if reader is None:
        raise ValueError(f"no reader of the marts for target {settings.target!r} (pipeline/warehouse.py READERS)")
    return reader(settings, sql)


def _bigquery_query(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    from loader.sinks.bigquery_client import bigquery_client

    loader_settings = settings.loader_settings()
    client = bigquery_client(loader_settings.bigquery_project, loader_settings.bigquery_location)
    try:
        result = client.query(sql).result()
        names = [f.name for f in result.schema]
        return names, [tuple(row.values()) for row in result]
    finally:
        client.close()


def _duckdb_query(settings: Settings, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()


def records(settings: Settings, sql: str) -> list[dict[str, Any]]:
    names, rows = query(settings, sql)
    return [{name: plain(value) for name, value in zip(names, row)} for row in rows]


def relation(settings: Settings, name: str) -> str:
    """A model's quoted name in the run's target."""
    return QUOTED_RELATIONS[settings.target](marts_schema(settings), name)


# How each target of membership_elt/targets.py is read (membership_elt/target_check.py
# lists a target missing here).
READERS: dict[str, Callable[[Settings, str], tuple[list[str], list[tuple[Any, ...]]]]] = {
    "duckdb": _duckdb_query,
    "bigquery": _bigquery_query,
}
QUOTED_RELATIONS: dict[str, Callable[[str, str], str]] = {
    "duckdb": lambda schema, name: f'"{schema}"."{name}"',
    "bigquery": lambda schema, name: f"`{schema}.{name}`",
}
