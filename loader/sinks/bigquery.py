"""The BigQuery sink: raw tables in one dataset (default `membership_raw`).

How one object is loaded, all or nothing:
1. the prepared rows and rejects files (loader/csvfile.py) are streamed up by two CSV
   load jobs into per-object staging tables, with explicit schemas (every CSV column
   STRING), which expire after a day should the process die before dropping them;
2. columns of the file that `membership` lacks are added to it (as STRING; BigQuery
   allows no DDL inside a transaction, and an added empty column changes no result);
3. ONE multi-statement transaction deletes the object's earlier rows, rejects and
   manifest row and inserts the new ones from staging. BigQuery commits all of it or,
   on any error (or a lost client), none of it;
4. the staging tables are dropped.

Forgetting objects (`forget_objects`) is one such transaction with only the deletes;
`load_object(..., replaces=...)` adds the replaced objects' deletes to step 3.

Every step can be repeated safely, so a job that fails transiently (as
loader/transient.py classifies it) is run again, with the attempts and backoff that
module writes down; the client library retries the HTTP requests themselves. Other
failures raise LoadError saying what BigQuery refused and what to do.

Client and credentials: loader/sinks/bigquery_client.py.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import requests
from google.api_core import exceptions as gexc
from google.cloud import bigquery

from loader.csvfile import CANONICAL_COLUMNS, ROW_NUMBER_COLUMN, DirectCsv, PreparedCsv
from loader.errors import LoadError
from loader.sinks import MANIFEST_COLUMNS, ForgetResult, ManifestEntry
from loader.sinks.bigquery_client import BigQueryConfigError, bigquery_client, bigquery_location
from loader.sources import SourceObject
from loader.transient import BIGQUERY_JOB_ATTEMPTS, BIGQUERY_JOB_BACKOFF, is_transient

STAGING_LIFETIME = timedelta(days=1)

S = bigquery.SchemaField
MEMBERSHIP_SCHEMA = [
    *(S(column, "STRING") for column in CANONICAL_COLUMNS),
    S("_source_uri", "STRING", mode="REQUIRED"),
    S("_source_etag", "STRING", mode="REQUIRED"),
    S("_source_last_modified", "TIMESTAMP"),
    S("_source_row_number", "INT64", mode="REQUIRED"),
    S("_load_id", "STRING", mode="REQUIRED"),
    S("_loaded_at", "TIMESTAMP", mode="REQUIRED"),
]
REJECTS_SCHEMA = [
    S("_source_uri", "STRING", mode="REQUIRED"),
    S("_source_etag", "STRING", mode="REQUIRED"),
    S("_source_row_number", "INT64", mode="REQUIRED"),
    S("reason", "STRING", mode="REQUIRED"),
    S("raw_line", "STRING", mode="REQUIRED"),
    S("_load_id", "STRING", mode="REQUIRED"),
    S("_loaded_at", "TIMESTAMP", mode="REQUIRED"),
]
MANIFEST_SCHEMA = [
    S("source_uri", "STRING", mode="REQUIRED"),
    S("etag", "STRING", mode="REQUIRED"),
    S("size_bytes", "INT64", mode="REQUIRED"),
    S("last_modified", "TIMESTAMP"),
    S("encoding", "STRING", mode="REQUIRED"),
    S("rows_loaded", "INT64", mode="REQUIRED"),
    S("rows_rejected", "INT64", mode="REQUIRED"),
    S("load_id", "STRING", mode="REQUIRED"),
    S("loaded_at", "TIMESTAMP", mode="REQUIRED"),
]

T = TypeVar("T")


def with_retries(action: Callable[[], T], what: str, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `action`, retrying transient failures with jittered exponential backoff."""
    for attempt in range(1, BIGQUERY_JOB_ATTEMPTS + 1):
        try:
            return action()
        except Exception as error:
            if attempt == BIGQUERY_JOB_ATTEMPTS or not is_transient(error):
                raise
            # Jitter keeps two loaders that failed together from retrying together.
            sleep(BIGQUERY_JOB_BACKOFF.delay(attempt) * random.uniform(0.5, 1.0))
    raise AssertionError(f"unreachable: {what}")


def _quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _string_literal(text: str) -> str:
    # Literals, not query parameters: the local BigQuery API used by the tests rejects
    # parameters in multi-statement scripts (tests/support/bigquery_emulator.py). Escaping the
    # backslash, the quote and line breaks leaves no way out of the literal.
    escaped = (
        text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    )
    return f"'{escaped}'"


def _timestamp_literal(value: datetime | None) -> str:
    if value is None:
        return "cast(null as timestamp)"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    return f"timestamp '{utc:%Y-%m-%d %H:%M:%S.%f}+00:00'"


def _uri_condition(column: str, uris: Sequence[str]) -> str:
    if len(uris) == 1:
        return f"{column} = {_string_literal(uris[0])}"
    return f"{column} in ({', '.join(_string_literal(u) for u in uris)})"


def _describe(error: BaseException) -> str:
    if isinstance(error, gexc.GoogleAPICallError):
        details = "; ".join(
            f"{e.get('reason', 'error')}: {e.get('message', '')}"
            for e in (error.errors or [])
            if isinstance(e, dict)
        )
        return details or error.message or str(error)
    return f"{type(error).__name__}: {error}"


def _advice(error: BaseException) -> str:
    if isinstance(error, (gexc.Unauthorized, gexc.Forbidden)):
        return (
            "Check the credentials (GOOGLE_APPLICATION_CREDENTIALS) and that they may create "
            "tables and run jobs in the project (roles BigQuery Data Editor and Job User)."
        )
    if isinstance(error, gexc.NotFound):
        return (
            "Check GOOGLE_CLOUD_PROJECT, RAW_SCHEMA and BQ_LOCATION (the dataset must be "
            "in that location)."
        )
    if is_transient(error):
        return f"BigQuery kept failing after {BIGQUERY_JOB_ATTEMPTS} attempts; run again later."
    return "Fix the cause and run again."


class BigQuerySink:
    """Raw tables in a BigQuery dataset; see loader.sinks.Sink for the contract."""

    target = "bigquery"

    def __init__(
        self,
        dataset: str,
        *,
        project: str | None = None,
        location: str | None = None,
    ) -> None:
        try:
            self._client: bigquery.Client | None = bigquery_client(project, location)
        except BigQueryConfigError as error:
            raise LoadError(str(error)) from error
        self.location = bigquery_location(location)
        self.dataset = dataset
        self.dataset_ref = f"{self._client.project}.{self.dataset}"
        self._guard(f"creating the raw tables in {self.dataset_ref}", self._create_tables)

    # ------------------------------------------------------------------ plumbing

    def _bq(self) -> bigquery.Client:
        if self._client is None:
            raise LoadError("the BigQuery sink was used after close(); open a new one.")
        return self._client

    def _table(self, name: str) -> str:
        return f"{self.dataset_ref}.{name}"

    def _sql_table(self, name: str) -> str:
        return _quote_identifier(self._table(name))

    def _guard(self, what: str, action: Callable[[], T], uri: str | None = None) -> T:
        """Run a step with retries; turn what BigQuery refuses into a LoadError for the user."""
        try:
            return with_retries(action, what)
        except LoadError:
            raise
        # GoogleAPIError also covers RetryError: the client library's own retries of a
        # request (e.g. connection refused) ran out.
        except (gexc.GoogleAPIError, requests.RequestException, OSError) as error:
            where = f"{uri}: " if uri else ""
            nothing = " nothing of this object was written;" if uri else ""
            raise LoadError(
                f"{where}BigQuery failed while {what} ({_describe(error)});{nothing} "
                f"{_advice(error)}"
            ) from error

    def _create_tables(self) -> None:
        client = self._bq()
        dataset = bigquery.Dataset(self.dataset_ref)
        dataset.location = self.location
        client.create_dataset(dataset, exists_ok=True)
        membership = bigquery.Table(self._table("membership"), schema=MEMBERSHIP_SCHEMA)
        # Each load deletes one object's rows: clustering by object keeps that cheap.
        membership.clustering_fields = ["_source_uri"]
        client.create_table(membership, exists_ok=True)
        client.create_table(
            bigquery.Table(self._table("membership_rejects"), schema=REJECTS_SCHEMA),
            exists_ok=True,
        )
        client.create_table(
            bigquery.Table(self._table("load_manifest"), schema=MANIFEST_SCHEMA), exists_ok=True
        )

    # ------------------------------------------------------------------ Sink

    def loaded_objects(self) -> dict[str, str]:
        def read() -> dict[str, str]:
            rows = self._bq().query(
                f"select source_uri, etag from {self._sql_table('load_manifest')}",
                location=self.location,
            ).result()
            return {row["source_uri"]: row["etag"] for row in rows}

        return self._guard(f"reading {self._table('load_manifest')}", read)

    def manifest(self) -> list[ManifestEntry]:
        def read() -> list[ManifestEntry]:
            rows = self._bq().query(
                f"select {', '.join(MANIFEST_COLUMNS)} from {self._sql_table('load_manifest')} "
                "order by source_uri",
                location=self.location,
            ).result()
            return [ManifestEntry(*(row[c] for c in MANIFEST_COLUMNS)) for row in rows]

        return self._guard(f"reading {self._table('load_manifest')}", read)

    def forget_objects(self, uris: Sequence[str]) -> list[ForgetResult]:
        uris = list(uris)
        if not uris:
            return []
        # A script returns only its last statement's result, so the counts are read just
        # before the transaction; what it deletes is exactly what the manifest names.
        counts: dict[tuple[str, str], int] = {}

        def count() -> None:
            parts = [
                f"select '{table}' as t, {column} as uri, count(*) as n from {self._sql_table(table)} "
                f"where {_uri_condition(column, uris)} group by {column}"
                for table, column in (
                    ("membership", "_source_uri"),
                    ("membership_rejects", "_source_uri"),
                    ("load_manifest", "source_uri"),
                )
            ]
            for row in self._bq().query(" union all ".join(parts), location=self.location).result():
                counts[(row["t"], row["uri"])] = int(row["n"])

        listed = ", ".join(uris)
        self._guard(f"counting the rows of {listed}", count)
        script = "begin transaction;\n" + self._delete_statements(uris) + "commit transaction;\n"
        try:
            self._guard(
                f"deleting {listed} from {self.dataset_ref} in one transaction",
                lambda: self._bq().query(script, location=self.location).result(),
            )
        except LoadError as error:
            # BigQuery rolls the whole transaction back when any statement fails.
            raise LoadError(f"{error} The transaction was rolled back: nothing was deleted.") from (
                error.__cause__ or error
            )
        return [
            ForgetResult(
                uri,
                rows_deleted=counts.get(("membership", uri), 0),
                rejects_deleted=counts.get(("membership_rejects", uri), 0),
                manifest_deleted=counts.get(("load_manifest", uri), 0) > 0,
            )
            for uri in uris
        ]

    def _delete_statements(self, uris: Sequence[str]) -> str:
        return "".join(
            f"delete from {self._sql_table(table)} where {_uri_condition(column, uris)};\n"
            for table, column in (
                ("membership", "_source_uri"),
                ("membership_rejects", "_source_uri"),
                ("load_manifest", "source_uri"),
            )
        )

    def load_export(
        self,
        obj: SourceObject,
        export: DirectCsv,
        load_id: str,
        loaded_at: datetime,
        replaces: Sequence[str] = (),
    ) -> int | None:
        # A BigQuery load job gives no record its position in the file: rows need the prepared numbered file.
        return None

    def load_object(
        self,
        obj: SourceObject,
        prepared: PreparedCsv,
        load_id: str,
        loaded_at: datetime,
        replaces: Sequence[str] = (),
    ) -> int:
        stage_key = re.sub(r"[^A-Za-z0-9_]", "_", load_id)
        stage_key += "_" + hashlib.sha256(obj.uri.encode()).hexdigest()[:16]
        rows_stage = f"_stage_{stage_key}_rows"
        rejects_stage = f"_stage_{stage_key}_rejects"
        try:
            loaded = self._guard(
                f"uploading the rows to {self._table(rows_stage)}",
                lambda: self._stage(
                    prepared.rows_path,
                    rows_stage,
                    [S(ROW_NUMBER_COLUMN, "INT64"), *(S(c, "STRING") for c in prepared.columns)],
                ),
                obj.uri,
            )
            if loaded != prepared.rows:
                raise LoadError(
                    f"{obj.uri}: BigQuery read {loaded} rows from the prepared file but the check "
                    f"counted {prepared.rows}; nothing was written. Please report this as a bug."
                )
            self._guard(
                f"uploading the rejects to {self._table(rejects_stage)}",
                lambda: self._stage(
                    prepared.rejects_path,
                    rejects_stage,
                    [S(ROW_NUMBER_COLUMN, "INT64"), S("reason", "STRING"), S("raw_line", "STRING")],
                ),
                obj.uri,
            )
            self._guard(
                f"adding new columns to {self._table('membership')}",
                lambda: self._add_columns(prepared.columns),
                obj.uri,
            )
            script = self._replace_script(
                obj, prepared, load_id, loaded_at, rows_stage, rejects_stage,
                [u for u in replaces if u != obj.uri],
            )
            self._guard(
                f"replacing the object's rows in {self.dataset_ref} (one transaction)",
                lambda: self._bq().query(script, location=self.location).result(),
                obj.uri,
            )
        finally:
            self._drop_quietly(rows_stage, rejects_stage)
        return prepared.rows

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ steps

    def _stage(self, path: Path, table: str, schema: list[bigquery.SchemaField]) -> int:
        """Load a prepared CSV file into a staging table; return the rows it received."""
        client = self._bq()
        staging = bigquery.Table(self._table(table), schema=schema)
        staging.expires = datetime.now(UTC) + STAGING_LIFETIME
        client.create_table(staging, exists_ok=True)
        job_config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.CSV,
            schema=schema,
            skip_leading_rows=1,
            allow_quoted_newlines=True,
            encoding="UTF-8",
            field_delimiter=",",
            quote_character='"',
            max_bad_records=0,
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
        )
        with path.open("rb") as stream:  # uploaded in chunks, never read whole
            job = client.load_table_from_file(
                stream, self._table(table), job_config=job_config, location=self.location,
                rewind=True,
            )
        job.result()
        return int(job.output_rows or 0)

    def _add_columns(self, columns: tuple[str, ...]) -> None:
        client = self._bq()
        membership = self._table("membership")
        existing = {field.name.lower() for field in client.get_table(membership).schema}
        new = [c for c in columns if c.lower() not in existing]
        for column in new:
            # One column per statement: the local API accepts no more (tests/support/bigquery_emulator.py).
            client.query(
                f"alter table {self._sql_table('membership')} "
                f"add column if not exists {_quote_identifier(column)} string",
                location=self.location,
            ).result()
        if new:
            # On BigQuery the table's metadata now lists the columns and this changes
            # nothing; the local API keeps its metadata apart from its query engine.
            table = client.get_table(membership)
            listed = {field.name.lower() for field in table.schema}
            missing = [S(c, "STRING") for c in new if c.lower() not in listed]
            if missing:
                table.schema = [*table.schema, *missing]
                client.update_table(table, ["schema"])

    def _replace_script(
        self,
        obj: SourceObject,
        prepared: PreparedCsv,
        load_id: str,
        loaded_at: datetime,
        rows_stage: str,
        rejects_stage: str,
        replaces: Sequence[str] = (),
    ) -> str:
        uri, etag = _string_literal(obj.uri), _string_literal(obj.etag)
        load, at = _string_literal(load_id), _timestamp_literal(loaded_at)
        data = [_quote_identifier(c) for c in prepared.columns]
        # The prepared file holds no nulls (an empty field is an empty string), but a CSV
        # load reads an empty field as NULL: coalesce gives the text back as in the file.
        values = [f"coalesce({c}, '')" for c in data]
        membership = self._sql_table("membership")
        rejects = self._sql_table("membership_rejects")
        manifest = self._sql_table("load_manifest")
        return f"""
begin transaction;
{self._delete_statements(replaces) if replaces else ""}
delete from {membership} where _source_uri = {uri};
insert into {membership} (
    {", ".join(data)},
    _source_uri, _source_etag, _source_last_modified, _source_row_number, _load_id, _loaded_at
)
select
    {", ".join(values)},
    {uri}, {etag}, {_timestamp_literal(obj.last_modified)}, {ROW_NUMBER_COLUMN}, {load}, {at}
from {self._sql_table(rows_stage)};

delete from {rejects} where _source_uri = {uri};
insert into {rejects} (
    _source_uri, _source_etag, _source_row_number, reason, raw_line, _load_id, _loaded_at
)
select {uri}, {etag}, {ROW_NUMBER_COLUMN}, coalesce(reason, ''), coalesce(raw_line, ''), {load}, {at}
from {self._sql_table(rejects_stage)};

delete from {manifest} where source_uri = {uri};
insert into {manifest} (
    source_uri, etag, size_bytes, last_modified, encoding, rows_loaded, rows_rejected,
    load_id, loaded_at
)
values (
    {uri}, {etag}, {int(obj.size_bytes)}, {_timestamp_literal(obj.last_modified)},
    {_string_literal(prepared.encoding)}, {int(prepared.rows)}, {int(prepared.rejected)},
    {load}, {at}
);

commit transaction;
"""

    def _drop_quietly(self, *tables: str) -> None:
        # Staging tables expire on their own; a failed drop must not hide the real outcome.
        if self._client is None:
            return
        for table in tables:
            try:
                self._client.delete_table(self._table(table), not_found_ok=True)
            except (gexc.GoogleAPICallError, requests.RequestException):
                pass
