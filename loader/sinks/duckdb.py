"""The DuckDB sink: raw tables in one schema (default `raw`) of one database file.

The file's folder is created when missing. Rows are read by DuckDB's own CSV reader from the prepared
file, so an object of any size streams from disk into the table; each object is one
transaction (DuckDB rolls back an uncommitted transaction when the process dies).
Timestamps are `timestamptz` holding UTC instants.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from loader.csvfile import CANONICAL_COLUMNS, ROW_NUMBER_COLUMN, DirectCsv, PreparedCsv
from loader.errors import LoadError
from loader.sinks import MANIFEST_COLUMNS, ForgetResult, ManifestEntry
from loader.sources import SourceObject

# Formatted with the quoted schema name and the canonical columns.
_CREATE = """
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.membership (
    {COLUMNS},
    _source_uri varchar not null,
    _source_etag varchar not null,
    _source_last_modified timestamptz,
    _source_row_number bigint not null,
    _load_id varchar not null,
    _loaded_at timestamptz not null
);
create table if not exists {SCHEMA}.membership_rejects (
    _source_uri varchar not null,
    _source_etag varchar not null,
    _source_row_number bigint not null,
    reason varchar not null,
    raw_line varchar not null,
    _load_id varchar not null,
    _loaded_at timestamptz not null
);
create table if not exists {SCHEMA}.load_manifest (
    source_uri varchar primary key,
    etag varchar not null,
    size_bytes bigint not null,
    last_modified timestamptz,
    encoding varchar not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    load_id varchar not null,
    loaded_at timestamptz not null
);
"""

# The prepared files are canonical RFC 4180 CSV written by csvfile.prepare(): nothing to sniff.
# A record holds at most a few values of csv's 128k-character limit; the buffer size
# bounds the reader's memory whatever the file size.
_CSV_OPTIONS = (
    "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
    "new_line = '\\n', strict_mode = true, null_padding = false, "
    "max_line_size = 4194304, buffer_size = 8388608"
)


# The export itself (DuckDB skips a UTF-8 byte-order mark, reads LF and CRLF alike). The
# scan proved every line a regular record; strict mode makes DuckDB refuse anything else.
_EXPORT_CSV_OPTIONS = (
    "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', comment = '', "
    "strict_mode = true, null_padding = false, max_line_size = 4194304, buffer_size = 8388608"
)


class _NotRegular(Exception):
    """The export is not regular throughout: roll back and let the csv module prepare it."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBSink:
    """Raw tables in a DuckDB file; see loader.sinks.Sink for the contract."""

    target = "duckdb"

    def __init__(self, path: Path, *, schema: str, memory_limit: str) -> None:
        # DuckDB's own default memory limit is 80% of RAM, which it fills with buffers
        # on a large insert; a load streams, so a fixed limit keeps memory flat.
        self.path = Path(path)
        self.schema = schema
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con: duckdb.DuckDBPyConnection | None = duckdb.connect(
                str(self.path), config={"memory_limit": memory_limit}
            )
        except duckdb.IOException as exc:
            raise LoadError(
                f"{self.path}: cannot open the DuckDB database ({exc}); if another process "
                "(a dbt run, a notebook) holds it open, close that process and run again."
            ) from exc
        except OSError as exc:
            raise LoadError(f"{self.path}: cannot create the DuckDB database folder ({exc.strerror}).") from exc
        self._connection().execute(
            _CREATE.format(SCHEMA=_ident(schema), COLUMNS=", ".join(f"{c} varchar" for c in CANONICAL_COLUMNS))
        )

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise LoadError("the DuckDB sink was used after close(); open a new one.")
        return self._con

    def loaded_objects(self) -> dict[str, str]:
        manifest = f"{_ident(self.schema)}.load_manifest"
        rows = self._connection().execute(f"select source_uri, etag from {manifest}").fetchall()
        return {uri: etag for uri, etag in rows}

    def manifest(self) -> list[ManifestEntry]:
        rows = self._connection().execute(
            f"select {', '.join(MANIFEST_COLUMNS)} from {_ident(self.schema)}.load_manifest order by source_uri"
        ).fetchall()
        return [ManifestEntry(*row) for row in rows]

    @contextmanager
    def _transaction(self, refused: str, nothing: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: committed when the block ends, rolled back on any error.

        A DuckDB error becomes a LoadError: `refused (error); nothing ... <path>.`
        """
        con = self._connection()
        con.begin()
        try:
            yield con
            con.commit()
        except BaseException as exc:
            try:
                con.rollback()
            except duckdb.Error:
                pass  # the transaction is gone already; nothing of it was committed
            if isinstance(exc, duckdb.Error):
                raise LoadError(f"{refused} ({exc}); {nothing} {self.path}. Fix the cause and run again.") from exc
            raise

    def forget_objects(self, uris: Sequence[str]) -> list[ForgetResult]:
        with self._transaction(f"DuckDB refused to forget {', '.join(uris)}", "nothing was deleted from") as con:
            return [self._delete(con, uri) for uri in uris]

    def _delete(self, con: duckdb.DuckDBPyConnection, uri: str) -> ForgetResult:
        """Delete one object's rows, rejects and manifest row inside the caller's transaction."""
        schema = _ident(self.schema)
        counts = [
            int((con.execute(f"delete from {schema}.{table} where {column} = ?", [uri]).fetchone() or (0,))[0])
            for table, column in (
                ("membership", "_source_uri"),
                ("membership_rejects", "_source_uri"),
                ("load_manifest", "source_uri"),
            )
        ]
        return ForgetResult(
            uri, rows_deleted=counts[0], rejects_deleted=counts[1], manifest_deleted=counts[2] > 0
        )

    def load_object(
        self,
        obj: SourceObject,
        prepared: PreparedCsv,
        load_id: str,
        loaded_at: datetime,
        replaces: Sequence[str] = (),
    ) -> int:
        with self._transaction(f"{obj.uri}: DuckDB refused the load",
                               "nothing of this object was written to") as con:
            for uri in replaces:
                if uri != obj.uri:
                    self._delete(con, uri)
            return self._replace(con, obj, prepared, load_id, loaded_at)

    def load_export(
        self,
        obj: SourceObject,
        export: DirectCsv,
        load_id: str,
        loaded_at: datetime,
        replaces: Sequence[str] = (),
    ) -> int | None:
        """Insert the export itself while its scan runs beside the insert; None, writing nothing, if it is not regular.

        DuckDB's reader parses the file (it skips a byte-order mark and reads CRLF) and
        `row_number() over ()` numbers the records: a window with an empty OVER clause
        streams in file order (DuckDB runs that pipeline on one thread), so record i
        gets line 2 + i. The scan (Python, on the other core: DuckDB releases the GIL)
        decides before the commit; when it finds an irregular line, or DuckDB's
        reader fails on one, the transaction is rolled back.
        """
        stop = threading.Event()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-scan") as pool:
            scanned = pool.submit(export.scan, stop)
            try:
                with self._transaction(f"{obj.uri}: DuckDB refused the load",
                                       "nothing of this object was written to") as con:
                    for uri in replaces:
                        if uri != obj.uri:
                            self._delete(con, uri)
                    self._clear(con, obj, export.columns)
                    try:
                        inserted = self._insert_export(con, obj, export, load_id, loaded_at)
                    except duckdb.InvalidInputException:
                        # DuckDB's reader refused a line: not regular, the csv module will say why.
                        stop.set()
                        raise _NotRegular from None
                    records = scanned.result()
                    if records is None:
                        raise _NotRegular
                    if inserted != records:
                        raise LoadError(
                            f"{obj.uri}: DuckDB read {inserted} rows from the export but the check counted "
                            f"{records}; nothing was written. Please report this as a bug."
                        )
                    self._write_manifest(con, obj, export.encoding, inserted, 0, load_id, loaded_at)
            except _NotRegular:
                return None
            finally:
                stop.set()
        return inserted

    def _insert_export(
        self, con: duckdb.DuckDBPyConnection, obj: SourceObject, export: DirectCsv, load_id: str, loaded_at: datetime
    ) -> int:
        schema = _ident(self.schema)
        data_columns = [_ident(c) for c in export.columns]
        csv_columns = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in export.columns)
        not_null = ", ".join(_literal(c) for c in export.columns)
        (inserted,) = con.execute(
            f"""
            insert into {schema}.membership (
                {", ".join(data_columns)},
                _source_uri, _source_etag, _source_last_modified, _source_row_number, _load_id, _loaded_at
            )
            select
                {", ".join(data_columns)},
                ?, ?, ?, row_number() over () + 1, ?, ?
            from read_csv(
                {_literal(str(export.path))},
                columns = {{{csv_columns}}},
                force_not_null = [{not_null}],
                {_EXPORT_CSV_OPTIONS}
            )
            """,
            [obj.uri, obj.etag, obj.last_modified, load_id, loaded_at],
        ).fetchone() or (0,)
        return int(inserted)

    def _clear(self, con: duckdb.DuckDBPyConnection, obj: SourceObject, columns: Sequence[str]) -> None:
        """Add the columns `membership` lacks and delete everything of `obj.uri`, inside the caller's transaction."""
        schema = _ident(self.schema)
        existing = {
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = 'membership'",
                [self.schema],
            ).fetchall()
        }
        for column in columns:
            if column not in existing:
                con.execute(f"alter table {schema}.membership add column {_ident(column)} varchar")

        uri = [obj.uri]
        con.execute(f"delete from {schema}.membership where _source_uri = ?", uri)
        con.execute(f"delete from {schema}.membership_rejects where _source_uri = ?", uri)
        con.execute(f"delete from {schema}.load_manifest where source_uri = ?", uri)

    def _write_manifest(
        self,
        con: duckdb.DuckDBPyConnection,
        obj: SourceObject,
        encoding: str,
        rows: int,
        rejected: int,
        load_id: str,
        loaded_at: datetime,
    ) -> None:
        con.execute(
            f"insert into {_ident(self.schema)}.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [obj.uri, obj.etag, obj.size_bytes, obj.last_modified, encoding, rows, rejected, load_id, loaded_at],
        )

    def _replace(
        self,
        con: duckdb.DuckDBPyConnection,
        obj: SourceObject,
        prepared: PreparedCsv,
        load_id: str,
        loaded_at: datetime,
    ) -> int:
        schema = _ident(self.schema)
        self._clear(con, obj, prepared.columns)

        data_columns = [_ident(c) for c in prepared.columns]
        csv_columns = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in prepared.columns)
        not_null = ", ".join(_literal(c) for c in prepared.columns)
        metadata = [obj.uri, obj.etag, obj.last_modified, load_id, loaded_at]
        (inserted,) = con.execute(
            f"""
            insert into {schema}.membership (
                {", ".join(data_columns)},
                _source_uri, _source_etag, _source_last_modified, _source_row_number, _load_id, _loaded_at
            )
            select
                {", ".join(data_columns)},
                ?, ?, ?, {ROW_NUMBER_COLUMN}, ?, ?
            from read_csv(
                {_literal(str(prepared.rows_path))},
                columns = {{{_literal(ROW_NUMBER_COLUMN)}: 'BIGINT', {csv_columns}}},
                force_not_null = [{not_null}],
                {_CSV_OPTIONS}
            )
            """,
            metadata,
        ).fetchone() or (0,)
        if inserted != prepared.rows:
            raise LoadError(
                f"{obj.uri}: DuckDB read {inserted} rows from the prepared file but the check counted "
                f"{prepared.rows}; nothing was written. Please report this as a bug."
            )
        con.execute(
            f"""
            insert into {schema}.membership_rejects
            select ?, ?, _source_row_number, reason, raw_line, ?, ?
            from read_csv(
                {_literal(str(prepared.rejects_path))},
                columns = {{'_source_row_number': 'BIGINT', 'reason': 'VARCHAR', 'raw_line': 'VARCHAR'}},
                force_not_null = ['reason', 'raw_line'],
                {_CSV_OPTIONS}
            )
            """,
            [obj.uri, obj.etag, load_id, loaded_at],
        )
        self._write_manifest(con, obj, prepared.encoding, inserted, prepared.rejected, load_id, loaded_at)
        return int(inserted)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
