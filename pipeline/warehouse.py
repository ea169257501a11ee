"""Read-only queries of the run's warehouse: DuckDB, or BigQuery through its client."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pipeline.settings import Settings

MARTS_SCHEMA_DUCKDB = "analytics"
MARTS_DATASET_ENV = "BQ_DATASET"
DEFAULT_MARTS_DATASET = "membership_analytics"


def marts_schema(settings: Settings) -> str:
    """Where the dbt models are: the profile's schema (DuckDB) or dataset (BigQuery)."""
    if settings.target == "bigquery":
        return settings.environ.get(MARTS_DATASET_ENV) or DEFAULT_MARTS_DATASET
    return MARTS_SCHEMA_DUCKDB


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
    if settings.target == "bigquery":
        from loader.sinks.bigquery_client import bigquery_client

        env = settings.environ
        client = bigquery_client(env.get("GOOGLE_CLOUD_PROJECT"), env.get("BQ_LOCATION"))
        try:
            result = client.query(sql).result()
            names = [f.name for f in result.schema]
            return names, [tuple(row.values()) for row in result]
        finally:
            client.close()
    import duckdb

    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()


def records(settings: Settings, sql: str) -> list[dict[str, Any]]:
    names, rows = query(settings, sql)
    return [{name: plain(value) for name, value in zip(names, row)} for row in rows]


def relation(settings: Settings, name: str) -> str:
    """A model's quoted name in the run's target."""
    schema = marts_schema(settings)
    if settings.target == "bigquery":
        return f"`{schema}.{name}`"
    return f'"{schema}"."{name}"'
