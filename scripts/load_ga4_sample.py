"""Load the GA4 sample shards into BigQuery, the way the GA4 export lays them out.

    python scripts/load_ga4_sample.py sample_data/ga4 --target bigquery \
        [--property-id ID | --dataset analytics_ID] [--project P] [--location L]

Each `events_YYYYMMDD.parquet` becomes table `events_YYYYMMDD` of the GA4 dataset
(default `analytics_000000000`, the dbt var `ga4_dataset`'s default), so the dbt
source reads them through the `events_*` wildcard with `_TABLE_SUFFIX` pruning. In
production GA4 writes these tables itself; this is for the tests and for anyone trying
the BigQuery target on sample data. Rerunning replaces each shard (WRITE_TRUNCATE).

The DuckDB target needs no loading: it reads the Parquet shards where they lie.

Every table gets the newest shard's columns: an older shard that lacks a column Google
added later (session_traffic_source_last_click, collected_traffic_source,
is_active_user) is loaded with that column null; when the newest shard lacks one too
(a 2020 export), no table has it, as in Google's public sample dataset. Real
BigQuery reads the `events_*` wildcard with the newest table's schema and gives older
tables nulls; the local BigQuery API instead unions the tables and fails when their
columns differ, so the shards are made alike here rather than in the models.

Configuration: GOOGLE_CLOUD_PROJECT, BQ_LOCATION, and BIGQUERY_EMULATOR_HOST for a
local BigQuery API (see loader/sinks/bigquery_client.py).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core import exceptions as google_exceptions
from google.cloud import bigquery

from loader.sinks.bigquery_client import (
    BigQueryConfigError,
    bigquery_client,
    bigquery_location,
)

DEFAULT_DATASET = "analytics_000000000"
SHARD_NAME = re.compile(r"^events_(\d{8})\.parquet$")

# The export's columns the dbt models read that every vintage of the export has, with
# their BigQuery types and modes (docs/specification.md, "GA4 export"). A shard
# lacking one, or typing it differently, is refused. Columns Google added later
# (is_active_user, collected_traffic_source, ...) may be absent: the models read
# them as nulls.
REQUIRED_COLUMNS: dict[str, tuple[str, str]] = {
    "event_date": ("STRING", "NULLABLE"),
    "event_timestamp": ("INT64", "NULLABLE"),
    "event_name": ("STRING", "NULLABLE"),
    "event_params": ("RECORD", "REPEATED"),
    "user_id": ("STRING", "NULLABLE"),
    "user_pseudo_id": ("STRING", "NULLABLE"),
}


class SampleLoadError(RuntimeError):
    """A shard or the arguments are unusable; the message says which and what to do."""


@dataclass(frozen=True)
class Shard:
    path: Path
    table_name: str  # events_YYYYMMDD


def find_shards(directory: Path) -> list[Shard]:
    if not directory.is_dir():
        raise SampleLoadError(
            f"{directory} is not a directory: pass the folder holding events_YYYYMMDD.parquet "
            "(e.g. sample_data/ga4; `python scripts/generate_sample_data.py --out sample_data` "
            "creates it)."
        )
    shards = [
        Shard(path, path.name.removesuffix(".parquet"))
        for path in sorted(directory.iterdir())
        if SHARD_NAME.match(path.name)
    ]
    if not shards:
        raise SampleLoadError(
            f"No events_YYYYMMDD.parquet file in {directory}: nothing to load. Generate the "
            "sample data first (`python scripts/generate_sample_data.py --out sample_data`)."
        )
    return shards


def _scalar_type(arrow_type: pa.DataType, where: str) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "STRING"
    if pa.types.is_integer(arrow_type):
        return "INT64"
    if pa.types.is_floating(arrow_type):
        return "FLOAT64"
    if pa.types.is_boolean(arrow_type):
        return "BOOL"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "BYTES"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP" if arrow_type.tz else "DATETIME"
    if pa.types.is_decimal(arrow_type):
        return "NUMERIC" if arrow_type.precision <= 38 and arrow_type.scale <= 9 else "BIGNUMERIC"
    if pa.types.is_null(arrow_type):
        # A column that is null in every row of the sample carries no type; STRING is
        # what the export uses for most such optional fields.
        return "STRING"
    raise SampleLoadError(f"{where}: Parquet type {arrow_type} has no BigQuery equivalent here.")


def _field(name: str, arrow_type: pa.DataType, where: str) -> bigquery.SchemaField:
    mode = "NULLABLE"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        mode = "REPEATED"
        arrow_type = arrow_type.value_type
        if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
            raise SampleLoadError(f"{where}.{name}: BigQuery has no array of arrays.")
    if pa.types.is_struct(arrow_type):
        children = tuple(
            _field(arrow_type.field(i).name, arrow_type.field(i).type, f"{where}.{name}")
            for i in range(arrow_type.num_fields)
        )
        return bigquery.SchemaField(name, "RECORD", mode=mode, fields=children)
    return bigquery.SchemaField(name, _scalar_type(arrow_type, f"{where}.{name}"), mode=mode)


def bigquery_schema(path: Path) -> list[bigquery.SchemaField]:
    """The BigQuery schema of a shard, nested RECORD / REPEATED fields included.

    Read from the Parquet footer (no data is read), then checked against the export's
    columns the models rely on.
    """
    try:
        arrow_schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        raise SampleLoadError(
            f"{path} is not a readable Parquet file ({error}); regenerate the sample data."
        ) from error
    schema = [_field(f.name, f.type, path.name) for f in arrow_schema]
    by_name = {field.name: field for field in schema}
    for name, (field_type, mode) in REQUIRED_COLUMNS.items():
        field = by_name.get(name)
        if field is None:
            raise SampleLoadError(
                f"{path}: column {name} is missing; a GA4 export shard has it "
                f"({field_type}, {mode}). Regenerate the sample data."
            )
        if (field.field_type, field.mode) != (field_type, mode):
            raise SampleLoadError(
                f"{path}: column {name} is {field.field_type} {field.mode}, but the GA4 export "
                f"has {field_type} {mode}. Regenerate the sample data."
            )
    return schema


def newest_columns(shards: list[Shard]) -> pa.Schema:
    """The newest shard's columns, which every older shard's must be among (same types)."""
    newest = pq.read_schema(shards[-1].path)
    for shard in shards[:-1]:
        for field in pq.read_schema(shard.path):
            if newest.get_field_index(field.name) < 0 or newest.field(field.name).type != field.type:
                raise SampleLoadError(
                    f"{shard.path}: column {field.name} ({field.type}) is not in the newest shard "
                    f"{shards[-1].path.name} with that type; the shards must come from one "
                    "generator run. Regenerate the sample data."
                )
    return newest


def _with_columns(shard: Shard, columns: pa.Schema, scratch: Path) -> Path:
    """The shard's file, or a copy with the columns it lacks added as nulls, in order."""
    if pq.read_schema(shard.path).names == columns.names:
        return shard.path
    table = pq.read_table(shard.path)
    arrays = [table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
              for f in columns]
    widened = scratch / shard.path.name
    pq.write_table(pa.Table.from_arrays(arrays, schema=columns), widened)
    return widened


def load_shard(
    client: bigquery.Client, shard: Shard, dataset_ref: str, location: str
) -> int:
    """Replace one shard table with the file's rows; return the rows loaded."""
    job_config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET,
        # An explicit schema keeps the export's types and modes exactly (and the local
        # API cannot infer one for a new table).
        schema=bigquery_schema(shard.path),
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
        create_disposition=bigquery.CreateDisposition.CREATE_IF_NEEDED,
    )
    parquet_options = bigquery.ParquetOptions()
    # Read Parquet LIST columns as REPEATED fields, not as a record wrapping `list`.
    parquet_options.enable_list_inference = True
    job_config.parquet_options = parquet_options
    table_id = f"{dataset_ref}.{shard.table_name}"
    with open(shard.path, "rb") as stream:  # streamed up in chunks, never read whole
        job = client.load_table_from_file(
            stream, table_id, job_config=job_config, location=location, rewind=True
        )
    try:
        job.result()
    except google_exceptions.GoogleAPICallError as error:
        details = "; ".join(e.get("message", "") for e in (job.errors or [])) or str(error)
        raise SampleLoadError(
            f"Loading {shard.path} into {table_id} failed: {details}"
        ) from error
    return int(job.output_rows or 0)


def load_sample(
    directory: Path,
    dataset: str,
    project: str | None = None,
    location: str | None = None,
) -> dict[str, int]:
    """Load every shard of `directory` into `dataset`; return rows per table."""
    shards = find_shards(directory)
    columns = newest_columns(shards)
    client = bigquery_client(project=project, location=location)
    location = bigquery_location(location)
    dataset_ref = f"{client.project}.{dataset}"
    dataset_object = bigquery.Dataset(dataset_ref)
    dataset_object.location = location
    client.create_dataset(dataset_object, exists_ok=True)
    with tempfile.TemporaryDirectory(prefix="ga4_shards_") as scratch:
        return {
            shard.table_name: load_shard(
                client, Shard(_with_columns(shard, columns, Path(scratch)), shard.table_name),
                dataset_ref, location,
            )
            for shard in shards
        }


def _dataset_name(args: argparse.Namespace) -> str:
    if args.property_id:
        if not args.property_id.isdigit():
            raise SampleLoadError(
                f"--property-id {args.property_id!r} is not a GA4 property id (digits only)."
            )
        return f"analytics_{args.property_id}"
    return args.dataset or DEFAULT_DATASET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="folder of events_YYYYMMDD.parquet")
    parser.add_argument(
        "--target",
        choices=["bigquery"],
        default="bigquery",
        help="only bigquery: the DuckDB target reads the Parquet shards directly",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--property-id", help="GA4 property id: dataset analytics_<ID>")
    which.add_argument("--dataset", help=f"dataset name (default {DEFAULT_DATASET})")
    parser.add_argument("--project", help="default: $GOOGLE_CLOUD_PROJECT")
    parser.add_argument("--location", default=os.environ.get("BQ_LOCATION") or None,
                        help="default: $BQ_LOCATION, else the target's default (US)")
    args = parser.parse_args(argv)
    try:
        dataset = _dataset_name(args)
        rows = load_sample(args.directory, dataset, args.project, args.location)
    except (SampleLoadError, BigQueryConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except google_exceptions.GoogleAPIError as error:
        print(
            f"error: BigQuery refused the load ({error}). Check GOOGLE_CLOUD_PROJECT, "
            "BQ_LOCATION and the credentials (or BIGQUERY_EMULATOR_HOST for a local API).",
            file=sys.stderr,
        )
        return 1
    for table_name, count in rows.items():
        print(f"{dataset}.{table_name}: {count} rows")
    print(f"loaded {len(rows)} shard(s), {sum(rows.values())} rows into {dataset}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
