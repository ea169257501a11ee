"""The loader's BigQuery sink against the local BigQuery API: the raw tables hold the
same text as the DuckDB sink's, loads are idempotent and atomic, transient API errors
are retried and permanent ones reported."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from google.cloud import bigquery

from loader import LoadError, LoadFailed, load
from loader.sinks.bigquery import REJECTS_SCHEMA
from loader.sinks.bigquery_client import bigquery_client
from tests.support.bigquery_emulator import Emulator
from tests.support.bigquery_emulator import query_rows as _query

pytestmark = pytest.mark.bigquery

# A UTF-8 export with what the raw table must keep verbatim: a quoted comma, a doubled
# quote, a line break inside a value, empty fields (empty strings, not NULL), a Korean
# extra column, and one row with a field too many (a reject).
EXPORT_V1 = (
    "member_id,user_id,signup_at,plan,first_paid_at,canceled_at,비고\n"
    'm1,u1,2025-03-19 11:13:18,monthly,2025-03-20,,"says ""hi"", twice"\n'
    'm2,,2025/03/19 11:13,free,,,"line one\nline two"\n'
    "m3,u3,2025.03.19,annual,2025-03-19T02:13:18Z,2025-04-01,\n"
    "m4,u4,2025-03-21,monthly,,,,extra field\n"
)
# The same member table a month later, from Excel on Korean Windows: CP949, Korean headers.
EXPORT_V2_CP949 = (
    "회원ID,사용자ID,가입일시,요금제,첫결제일시,해지일시\n"
    "m1,u1,2025-03-19 11:13:18,monthly,2025-03-20,2025-04-10\n"
    "m5,,2025-04-02,free,,\n"
).encode("cp949")

DATA_COLUMNS = ("member_id", "user_id", "signup_at", "plan", "first_paid_at", "canceled_at")


def _membership(dataset: str) -> list[tuple]:
    columns = ", ".join(DATA_COLUMNS)
    return _query(
        f"select _source_row_number, {columns}, `비고` from {dataset}.membership "
        "order by _source_row_number"
    )


def test_raw_tables_hold_the_same_text_as_duckdb_and_reruns_change_nothing(
    raw_dataset: str, tmp_path: Path
) -> None:
    export = tmp_path / "members_20250331.csv"
    export.write_text(EXPORT_V1, encoding="utf-8")

    first = load(str(export), target="bigquery")
    assert (first.objects_loaded, first.rows_loaded, first.rows_rejected) == (1, 3, 1)
    again = load(str(export), target="bigquery")
    assert (again.objects_loaded, again.objects_skipped, again.rows_loaded) == (0, 1, 0)

    rows = _membership(raw_dataset)
    assert rows == [
        (2, "m1", "u1", "2025-03-19 11:13:18", "monthly", "2025-03-20", "", 'says "hi", twice'),
        (3, "m2", "", "2025/03/19 11:13", "free", "", "", "line one\nline two"),
        (5, "m3", "u3", "2025.03.19", "annual", "2025-03-19T02:13:18Z", "2025-04-01", ""),
    ]
    rejects = _query(
        f"select _source_uri, _source_row_number, reason, raw_line from {raw_dataset}.membership_rejects"
    )
    assert len(rejects) == 1
    uri, line, reason, raw_line = rejects[0]
    assert (uri, line, raw_line) == (str(export.resolve()), 6, "m4,u4,2025-03-21,monthly,,,,extra field")
    assert "wrong number of fields" in reason
    manifest = _query(
        f"select source_uri, rows_loaded, rows_rejected, encoding, load_id from {raw_dataset}.load_manifest"
    )
    assert manifest == [(str(export.resolve()), 3, 1, "utf-8", first.load_id)]

    # The DuckDB sink, given the same file, holds the very same text, in the schema
    # named by the same RAW_SCHEMA setting.
    duckdb_path = tmp_path / "warehouse.duckdb"
    load(str(export), target="duckdb", duckdb_path=str(duckdb_path))
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        duck_rows = con.execute(
            f"select _source_row_number, {', '.join(DATA_COLUMNS)}, \"비고\" from {raw_dataset}.membership "
            "order by _source_row_number"
        ).fetchall()
    assert duck_rows == rows


def test_a_changed_object_replaces_its_rows_and_manifest_row(raw_dataset: str, tmp_path: Path) -> None:
    export = tmp_path / "members.csv"
    export.write_text(EXPORT_V1, encoding="utf-8")
    load(str(export), target="bigquery")
    export.write_bytes(EXPORT_V2_CP949)
    second = load(str(export), target="bigquery")
    assert (second.objects_loaded, second.rows_loaded, second.rows_rejected) == (1, 2, 0)

    assert _query(
        f"select member_id, canceled_at, `비고` from {raw_dataset}.membership order by member_id"
    ) == [("m1", "2025-04-10", None), ("m5", "", None)]  # absent column: NULL
    assert _query(f"select count(*) from {raw_dataset}.membership_rejects") == [(0,)]
    assert _query(
        f"select encoding, rows_loaded, load_id from {raw_dataset}.load_manifest"
    ) == [("cp949", 2, second.load_id)]


def test_a_load_failing_halfway_leaves_the_tables_as_they_were(raw_dataset: str, tmp_path: Path) -> None:
    export = tmp_path / "members.csv"
    export.write_text(EXPORT_V1.replace("m4,u4,2025-03-21,monthly,,,,extra field\n", ""), encoding="utf-8")
    first = load(str(export), target="bigquery")
    assert first.rows_loaded == 3
    before = _membership(raw_dataset)

    # Someone changed the rejects table: `reason` is now a number. The new version of the
    # export has a reject, so its transaction fails after replacing the membership rows.
    client = bigquery_client()
    table_id = f"{client.project}.{raw_dataset}.membership_rejects"
    client.delete_table(table_id)
    broken = [bigquery.SchemaField(f.name, "INT64" if f.name == "reason" else f.field_type)
              for f in REJECTS_SCHEMA]
    client.create_table(bigquery.Table(table_id, schema=broken))
    client.close()
    export.write_text(EXPORT_V1 + "m9,u9,2025-03-22,free,,\n", encoding="utf-8")

    with pytest.raises(LoadFailed) as refused:
        load(str(export), target="bigquery")
    message = str(refused.value)
    assert str(export.resolve()) in message
    assert "nothing of this object was written" in message

    assert _membership(raw_dataset) == before
    assert _query(f"select load_id from {raw_dataset}.load_manifest") == [(first.load_id,)]
    leftovers = _query(
        f"select table_name from {raw_dataset}.INFORMATION_SCHEMA.TABLES "
        "where starts_with(table_name, '_stage_')"
    )
    assert leftovers == []


class _FaultyProxy:
    """A loopback HTTP proxy in front of the local API that answers the first requests
    matching `fail_when` with a given error instead of forwarding them."""

    def __init__(self, upstream: str, status: int, reason: str, failures: int) -> None:
        self.upstream, self.status, self.reason = upstream, status, reason
        self.failures_left = failures
        self.failed = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    fail = "/jobs" in self.path and self.command == "POST" and proxy.failures_left > 0
                    if fail:
                        proxy.failures_left -= 1
                        proxy.failed += 1
                if fail:
                    payload = json.dumps({"error": {
                        "code": proxy.status, "message": f"injected {proxy.reason}",
                        "errors": [{"reason": proxy.reason, "message": f"injected {proxy.reason}"}],
                    }}).encode()
                    self._reply(proxy.status, {"Content-Type": "application/json"}, payload)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in {"host", "content-length", "connection"}}
                request = urllib.request.Request(proxy.upstream + self.path, data=body or None,
                                                 headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        self._reply(response.status, dict(response.headers), response.read())
                except urllib.error.HTTPError as error:
                    self._reply(error.code, dict(error.headers), error.read())

            def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in {"content-length", "transfer-encoding", "connection",
                                           "server", "date"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def proxy_factory(bigquery_emulator: Emulator) -> Iterator:
    proxies: list[_FaultyProxy] = []

    def make(status: int, reason: str, failures: int) -> _FaultyProxy:
        proxy = _FaultyProxy(bigquery_emulator.endpoint, status, reason, failures)
        proxies.append(proxy.__enter__())
        return proxy

    yield make
    for proxy in proxies:
        proxy.__exit__()


@pytest.mark.parametrize(("status", "reason"), [(503, "backendError"), (403, "rateLimitExceeded")])
def test_transient_api_errors_are_retried(
    raw_dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy_factory,
    status: int, reason: str,
) -> None:
    proxy = proxy_factory(status, reason, failures=3)
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", proxy.endpoint)
    export = tmp_path / "members.csv"
    export.write_text(EXPORT_V1, encoding="utf-8")

    summary = load(str(export), target="bigquery")

    assert proxy.failed == 3
    assert (summary.objects_loaded, summary.rows_loaded) == (1, 3)
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", proxy.upstream)
    assert _query(f"select count(*) from {raw_dataset}.membership") == [(3,)]


def test_a_permanent_api_error_is_reported_once_with_what_to_do(
    raw_dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proxy_factory,
) -> None:
    proxy = proxy_factory(403, "accessDenied", failures=100)
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", proxy.endpoint)
    export = tmp_path / "members.csv"
    export.write_text(EXPORT_V1, encoding="utf-8")

    with pytest.raises(LoadError) as failed:
        load(str(export), target="bigquery")

    message = str(failed.value)
    assert "accessDenied: injected accessDenied" in message
    assert "GOOGLE_APPLICATION_CREDENTIALS" in message
    assert proxy.failed == 1  # not retried
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", proxy.upstream)
    assert _query(f"select count(*) from {raw_dataset}.membership") == [(0,)]


def test_an_object_name_with_quotes_and_backslashes_is_stored_verbatim(
    raw_dataset: str, tmp_path: Path
) -> None:
    # The object's URI reaches the load transaction as an SQL literal: it must come back
    # byte for byte, and the second run must recognise it in the manifest.
    folder = tmp_path / "it's a \\ 'quoted' folder"
    folder.mkdir()
    export = folder / "members`; drop table x; --.csv"
    export.write_text(EXPORT_V1, encoding="utf-8")

    assert load(str(export), target="bigquery").objects_loaded == 1
    assert load(str(export), target="bigquery").objects_skipped == 1
    uri = str(export.resolve())
    assert _query(f"select distinct _source_uri from {raw_dataset}.membership") == [(uri,)]
    assert _query(f"select source_uri from {raw_dataset}.load_manifest") == [(uri,)]
