"""A local S3 API (moto's server) on 127.0.0.1, for the benchmarks' loader runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig

# moto accepts any credentials; fixed dummy ones keep the real credential chain (and
# anything in ~/.aws) out of the benchmark.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """Start moto's S3 server on a free loopback port; yield its endpoint URL."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **S3_ENV},
        )
        try:
            _wait_until_up(endpoint, server, log_path)
            yield endpoint
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(endpoint: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"moto's S3 server exited with status {server.returncode} at start-up; "
                f"see {log_path}. Is moto[server] installed in this environment?"
            )
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"moto's S3 server did not answer on {endpoint} within 30 seconds; see {log_path}.")


def s3_client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_ENV["AWS_DEFAULT_REGION"],
    )


def upload(endpoint: str, bucket: str, files: dict[str, Path]) -> None:
    """Upload local files to `bucket` (created if missing), key -> path."""
    client = s3_client(endpoint)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    # Large parts: fewer round trips to the single-threaded local server.
    config = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=64 * 2**20)
    for key, path in files.items():
        client.upload_file(str(path), bucket, key, Config=config)


def loader_env(endpoint: str) -> dict[str, str]:
    """Environment for a child process that reads from this server."""
    return {**S3_ENV, "AWS_ENDPOINT_URL": endpoint, "AWS_ENDPOINT_URL_S3": endpoint}
