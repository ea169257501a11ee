"""Two loaders of the same new S3 object at once on BigQuery (two Airflow runs, a manual
run beside the scheduled one): its rows end up in the raw table once, with one
manifest row, and neither loader reports a refusal. On BigQuery nothing serialises
the two (the DuckDB file lock does on DuckDB): the per-object transaction does, and a
transaction aborted by the other's concurrent update is retried (loader/transient.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from loader import load
from tests.support.bigquery_emulator import Emulator, emulator_env, query_rows

pytestmark = pytest.mark.bigquery

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2000


def _export(rows: int) -> bytes:
    lines = ["member_id,user_id,signup_at,plan,first_paid_at,canceled_at"]
    lines += [f"m{i},u{i},2025-03-{1 + i % 28:02d} 10:00:00,monthly,,"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_two_loaders_of_one_new_object_at_once_load_it_once(
        bigquery_emulator: Emulator, raw_dataset: str, aws_env: dict[str, str], s3_client: Any,
        s3_bucket: str, tmp_path: Path) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="membership/members_20250331.csv", Body=_export(ROWS))
    uri = f"s3://{s3_bucket}/membership/members_20250331.csv"
    env = emulator_env(bigquery_emulator, RAW_SCHEMA=raw_dataset, PYTHONPATH=str(ROOT), **aws_env)
    command = [sys.executable, "-m", "loader", "load", "--target", "bigquery", uri]
    outputs = [tmp_path / f"loader-{n}.txt" for n in (1, 2)]
    sinks = [path.open("w") for path in outputs]
    try:
        loaders = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
                   for sink in sinks]
        codes = [loader.wait(timeout=600) for loader in loaders]
    finally:
        for sink in sinks:
            sink.close()
    texts = [path.read_text(errors="replace") for path in outputs]
    shown = "\n".join(f"--- loader {n} (exit {code}) ---\n{text[-3000:]}"
                      for n, (code, text) in enumerate(zip(codes, texts), 1))
    assert codes == [0, 0], shown
    # Which loader wins, and whether the other still overlaps it or already finds the
    # object loaded, is the scheduler's choice: each either loads it or skips it as
    # unchanged, none refuses or fails, and at least one loads it.
    loaded = ["loaded 1, skipped 0 (unchanged), refused 0, failed 0" in text for text in texts]
    skipped = ["loaded 0, skipped 1 (unchanged), refused 0, failed 0" in text for text in texts]
    assert all(a or b for a, b in zip(loaded, skipped)) and any(loaded), shown

    counted = query_rows(
        f"select count(*), count(distinct _source_row_number), count(distinct _load_id) "
        f"from {raw_dataset}.membership where _source_uri = '{uri}'")
    assert counted == [(ROWS, ROWS, 1)], (counted, shown)
    manifest = query_rows(f"select rows_loaded from {raw_dataset}.load_manifest where source_uri = '{uri}'")
    assert manifest == [(ROWS,)], (manifest, shown)


# --- the abort itself, on demand ---------------------------------------------------

# What BigQuery answers the transaction that loses a race on a table.
ABORTED = "Transaction is aborted due to concurrent update against table {table}"


@pytest.fixture()
def aborting_api(bigquery_emulator: Emulator) -> Iterator[dict[str, Any]]:
    """A loopback proxy in front of the local API that answers the first `aborts`
    jobs running the loader's transaction as BigQuery answers the loser of a race."""
    state: dict[str, Any] = {"aborts": 0, "aborted": 0, "transactions": 0, "lock": threading.Lock()}
    upstream = bigquery_emulator.endpoint

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            transaction = self.command == "POST" and "/jobs" in self.path and b"begin transaction" in body
            with state["lock"]:
                state["transactions"] += transaction
                abort = transaction and state["aborted"] < state["aborts"]
                state["aborted"] += abort
            if abort:
                message = ABORTED.format(table="membership")
                self._reply(400, {"Content-Type": "application/json"}, json.dumps({"error": {
                    "code": 400, "message": message,
                    "errors": [{"reason": "invalidQuery", "message": message}]}}).encode())
                return
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in {"host", "content-length", "connection"}}
            request = urllib.request.Request(upstream + self.path, data=body or None, headers=headers,
                                             method=self.command)
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    self._reply(response.status, dict(response.headers), response.read())
            except urllib.error.HTTPError as error:
                self._reply(error.code, dict(error.headers), error.read())

        def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in {"content-length", "transfer-encoding", "connection", "server", "date"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["endpoint"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_a_transaction_aborted_by_a_concurrent_update_is_retried_not_refused(
        raw_dataset: str, aborting_api: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    export = tmp_path / "members_20250331.csv"
    export.write_bytes(_export(50))
    aborting_api["aborts"] = 2
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", aborting_api["endpoint"])

    summary = load(str(export), target="bigquery")

    assert aborting_api["aborted"] == 2 and aborting_api["transactions"] == 3
    assert (summary.objects_loaded, summary.objects_refused, summary.objects_failed, summary.rows_loaded) \
        == (1, 0, 0, 50)
    counted = query_rows(f"select count(*), count(distinct _source_row_number) from {raw_dataset}.membership")
    assert counted == [(50, 50)]
    assert query_rows(f"select count(*) from {raw_dataset}.load_manifest") == [(1,)]
