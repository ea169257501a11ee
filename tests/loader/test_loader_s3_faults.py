"""Transient S3 failures: throttling answers and a body that breaks off mid-download,
for the loader alone and for `orchestrate.py`, whose step retry takes over once the
loader's own retries are spent (loader/transient.py).

A small HTTP proxy on loopback sits between the loader and moto's server and injects
the faults on the wire; the loader is pointed at it through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest

from loader import LoadFailed, load
from membership_elt.exit_codes import ExitCode
from tests.support.pipeline_runs import Workspace, explain, step

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


@dataclass
class Faults:
    """What the proxy does to the requests it forwards; `seen` logs them."""

    throttle_object_gets: int = 0  # answer this many GETs of an object with 503 SlowDown
    throttle_only: str | None = None  # ...only GETs of paths ending so
    cut_body_after: int | None = None  # send only this many bytes of the next full object body
    seen: list[tuple[str, str, str | None, int]] = field(default_factory=list)  # method, path, Range, status
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture()
def faulty_s3(s3_endpoint: str, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    faults = Faults()
    upstream = urlsplit(s3_endpoint)

    class Proxy(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            is_object_get = self.command == "GET" and "?" not in self.path and self.path.count("/") >= 2
            with faults.lock:
                throttle = (is_object_get and faults.throttle_object_gets > 0
                            and (faults.throttle_only is None or self.path.endswith(faults.throttle_only)))
                if throttle:
                    faults.throttle_object_gets -= 1
                cut = faults.cut_body_after if is_object_get and "Range" not in self.headers else None
                if cut is not None:
                    faults.cut_body_after = None
            if throttle:
                faults.seen.append((self.command, self.path, self.headers.get("Range"), 503))
                self.send_response(503)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(SLOW_DOWN)))
                self.end_headers()
                self.wfile.write(SLOW_DOWN)
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection"}}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            faults.seen.append((self.command, self.path, self.headers.get("Range"), response.status))
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in {"connection", "transfer-encoding", "server", "date"}:
                    self.send_header(name, value)
            self.end_headers()
            # A broken-off body: the headers promise every byte, the connection ends early.
            self.wfile.write(data if cut is None else data[:cut])
            connection.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    try:
        yield faults
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _export(rows: int) -> bytes:
    lines = ["member_id,signup_at,plan"] + [f"{i},2025-01-{1 + i % 28:02d} 10:00:00,monthly" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_throttled_reads_are_retried(
    faulty_s3: Faults, s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=_export(50))
    faulty_s3.throttle_object_gets = 2

    summary = load(f"s3://{s3_bucket}/m/a.csv", duckdb_path=str(duckdb_path))

    gets = [status for method, path, _, status in faulty_s3.seen if method == "GET" and path.endswith("/m/a.csv")]
    assert gets == [503, 503, 200]
    assert summary.rows_loaded == 50
    assert len(raw_tables()["membership"]) == 50


def test_a_body_that_breaks_off_is_resumed_where_it_stopped(
    faulty_s3: Faults, s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    data = _export(2000)
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=data)
    faulty_s3.cut_body_after = 10_000

    summary = load(f"s3://{s3_bucket}/m/a.csv", duckdb_path=str(duckdb_path))

    gets = [(rng, status) for method, path, rng, status in faulty_s3.seen if method == "GET" and path.endswith("/m/a.csv")]
    assert gets[0] == (None, 200)
    assert gets[-1] == ("bytes=10000-", 206)
    assert summary.rows_loaded == 2000
    assert sorted(int(r["member_id"]) for r in raw_tables()["membership"]) == list(range(2000))


def test_persistent_throttling_fails_the_object_as_transient_and_changes_nothing(
    faulty_s3: Faults, s3_client: Any, s3_bucket: str, duckdb_path: Path, raw_tables: Any
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=_export(5))
    faulty_s3.throttle_object_gets = 1000

    with pytest.raises(LoadFailed) as caught:
        load(f"s3://{s3_bucket}/m/a.csv", duckdb_path=str(duckdb_path))

    assert caught.value.transient is True
    assert caught.value.summary.objects[0].status == "failed"
    message = caught.value.summary.objects[0].message
    assert message.startswith(f"s3://{s3_bucket}/m/a.csv: could not download the object (s3:GetObject) (SlowDown")
    assert "transient errors were retried with backoff" in message
    # The cause chain reaches the S3 answer, for callers that decide whether to retry.
    cause = caught.value.__cause__
    assert cause is not None and type(cause.__cause__).__name__ == "ClientError"
    gets = [status for method, path, _, status in faulty_s3.seen if method == "GET" and path.endswith("/m/a.csv")]
    assert gets == [503, 503, 503]  # AWS_MAX_ATTEMPTS=3, then no more
    assert raw_tables() == {"membership": [], "membership_rejects": [], "load_manifest": []}


def test_orchestrate_retries_a_load_whose_object_kept_failing_and_ends_green(
    faulty_s3: Faults, s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=_export(5))
    s3_client.put_object(Bucket=s3_bucket, Key="m/b.csv", Body=_export(7).replace(b"\n0,", b"\nb0,"))
    # Three answers of 503 spend botocore's AWS_MAX_ATTEMPTS=3 on the first attempt of
    # the step; the fourth is retried by botocore within the second attempt.
    faulty_s3.throttle_object_gets, faulty_s3.throttle_only = 4, "/m/a.csv"
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "unused", ga4_dir=tmp_path / "ga4")
    ws.ga4_dir.mkdir()

    result = ws.run("--retries", "2", "--retry-delay", "0", "--select", "stg_membership__members",
                    timeout=300, MEMBERSHIP_SOURCE_URI=f"s3://{s3_bucket}/m/*.csv",
                    DBT_INDIRECT_SELECTION="cautious")

    assert result.returncode == ExitCode.OK, explain(result)
    summary = ws.summary()
    load_step = step(summary, "load")
    assert (load_step["status"], load_step["attempts"]) == ("success", 2)
    # The second attempt loaded only what the first could not; b.csv was unchanged by then.
    assert load_step["details"]["objects_loaded"] == 1 and load_step["details"]["objects_unchanged"] == 1
    assert "load: transient failure" in result.stderr
    assert "2 attempts" in result.stdout
    gets = [status for method, path, _, status in faulty_s3.seen if method == "GET" and path.endswith("/m/a.csv")]
    assert gets == [503, 503, 503, 503, 200]
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        per_object = con.execute(
            "select _source_uri, count(*), count(distinct _source_row_number) from raw.membership "
            "group by 1 order by 1").fetchall()
    assert per_object == [(f"s3://{s3_bucket}/m/a.csv", 5, 5), (f"s3://{s3_bucket}/m/b.csv", 7, 7)]
    assert step(summary, "dbt_build")["status"] == "success"


def test_orchestrate_says_a_load_that_kept_failing_transiently_is_worth_running_later(
    faulty_s3: Faults, s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="m/a.csv", Body=_export(5))
    faulty_s3.throttle_object_gets = 1000
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "unused", ga4_dir=tmp_path / "ga4")

    result = ws.run("--retries", "1", "--retry-delay", "0", timeout=300,
                    MEMBERSHIP_SOURCE_URI=f"s3://{s3_bucket}/m/*.csv")

    assert result.returncode == ExitCode.TRANSIENT, explain(result)
    load_step = step(ws.summary(), "load")
    assert (load_step["status"], load_step["attempts"], load_step["transient"]) == ("failed", 2, True)
    assert load_step["details"]["objects_failed"] == 1 and load_step["details"]["objects_refused"] == 0
    assert "1 of 1 object(s) failed to load; nothing of them was written; run again" in result.stdout
