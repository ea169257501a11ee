"""Whether this run has GA4 data: GA4 is optional.

GA4 is configured when its source holds at least one daily shard
(`events_YYYYMMDD`): on DuckDB a file `events_YYYYMMDD.parquet` in
`$GA4_LOCAL_PATH` (unset together with a configured membership source means no
GA4), on BigQuery a table `events_YYYYMMDD` in the dataset of the vars
`ga4_project` / `ga4_dataset`. Without it dbt gets the var `ga4_enabled: false`:
the GA4 models are disabled (not failed) and the GA4 columns of the membership
marts are null. A `ga4_enabled` given with --vars wins over what is found.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.settings import Settings

SHARD = re.compile(r"^events_\d{8}(\.parquet)?$")
VAR = "ga4_enabled"


@dataclass(frozen=True)
class Ga4Status:
    configured: bool
    source: str | None  # the folder or dataset looked at; None when none is configured
    shards: int  # daily shards found there
    reason: str  # one sentence for the run summary

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _duckdb_status(settings: Settings) -> Ga4Status:
    if not settings.ga4_local_path:
        return Ga4Status(False, None, 0, "no GA4 source (set GA4_LOCAL_PATH to the folder of the "
                                          "events_YYYYMMDD.parquet shards to add one)")
    folder = Path(settings.ga4_local_path)
    shards = sum(1 for path in folder.glob("events_*.parquet") if SHARD.match(path.name)) if folder.is_dir() else 0
    if not shards:
        return Ga4Status(False, str(folder), 0, f"no events_YYYYMMDD.parquet shard in {folder}")
    return Ga4Status(True, str(folder), shards, f"{shards} daily shards in {folder}")


def _bigquery_status(settings: Settings) -> Ga4Status:
    from google.api_core import exceptions as google_exceptions

    from loader.sinks.bigquery_client import bigquery_client

    env = settings.environ
    project = settings.effective_vars.get("ga4_project") or env.get("GOOGLE_CLOUD_PROJECT")
    dataset = f"{project}.{settings.effective_vars.get('ga4_dataset')}"
    loader_settings = settings.loader_settings()
    client = bigquery_client(loader_settings.bigquery_project, loader_settings.bigquery_location)
    try:
        shards = sum(1 for table in client.list_tables(dataset) if SHARD.match(table.table_id))
    except google_exceptions.NotFound:
        return Ga4Status(False, dataset, 0, f"the GA4 dataset {dataset} does not exist (set the vars "
                                            "ga4_project / ga4_dataset to the export's dataset to add it)")
    finally:
        client.close()
    if not shards:
        return Ga4Status(False, dataset, 0, f"no events_YYYYMMDD table in {dataset}")
    return Ga4Status(True, dataset, shards, f"{shards} daily shards in {dataset}")


def ga4_status(settings: Settings) -> Ga4Status:
    """What GA4 data this run has; the var ga4_enabled, when given, decides."""
    found = _bigquery_status(settings) if settings.target == "bigquery" else _duckdb_status(settings)
    given = settings.vars.get(VAR)
    if given is None or bool(given) == found.configured:
        return found
    if given:
        return Ga4Status(True, found.source, found.shards, f"ga4_enabled: true given ({found.reason})")
    return Ga4Status(False, found.source, found.shards, "ga4_enabled: false given")


def with_ga4(settings: Settings, status: Ga4Status) -> Settings:
    """The settings with the var ga4_enabled this run's dbt gets."""
    ga4_vars = {VAR: status.configured}
    return replace(settings, vars={**settings.vars, **ga4_vars},
                   effective_vars={**settings.effective_vars, **ga4_vars})


def summary_line(status: Ga4Status) -> str:
    if status.configured:
        return f"GA4: {status.reason}"
    return (f"GA4: not configured: {status.reason}. The GA4 models were not run; the GA4 "
            "columns of the KPI marts are null.")
