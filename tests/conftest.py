"""Shared fixtures: a real S3 API (moto's server on 127.0.0.1) and the environment the loader reads.

The loader finds the server the way it finds any S3-compatible store, through
AWS_ENDPOINT_URL in its environment; nothing in our code is patched.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The local BigQuery API for the whole session (one per xdist worker), for every folder.
from tests.support.bigquery_emulator import bigquery_emulator, raw_dataset  # noqa: F401 (fixtures)

# MODULE_TIMES=<file>: wall and CPU seconds per module (tests/support/module_times.py).
pytest_plugins = ["tests.support.module_times"]

REPO_ROOT = Path(__file__).resolve().parent.parent
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Variables that would point the loader somewhere else than the fixtures say.
_LEAKY_ENV = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_RETRY_MODE",
    "LOADER_COLUMN_ALIASES",
    "LOADER_PROGRESS_BYTES",
    "LOADER_TMPDIR",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto S3 server on loopback, for the whole session."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, tmp_path: Path) -> dict[str, str]:
    """Fake credentials and the local endpoint in os.environ; returns them for subprocesses."""
    for name in _LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {
        **FAKE_AWS,
        "AWS_ENDPOINT_URL": s3_endpoint,
        # Two attempts keep the tests of unreachable servers quick; retries still happen.
        "AWS_MAX_ATTEMPTS": "2",
        # No ~/.aws of whoever runs the tests.
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture()
def s3_client(aws_env: dict[str, str], s3_endpoint: str) -> Any:
    import boto3

    return boto3.session.Session().client("s3", endpoint_url=s3_endpoint)


@pytest.fixture()
def s3_bucket(s3_client: Any) -> str:
    """A new, empty bucket for one test."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture()
def duckdb_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh DuckDB file, also named by $DUCKDB_PATH for code that reads the environment."""
    path = tmp_path / "warehouse" / "membership.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(path))
    return path


@pytest.fixture()
def subprocess_env(aws_env: dict[str, str], duckdb_path: Path) -> dict[str, str]:
    """Environment for `python -m loader` in a child process."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env.update(aws_env)
    env["DUCKDB_PATH"] = str(duckdb_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


RAW_TABLES = ("membership", "membership_rejects", "load_manifest")


def read_raw_tables(path: Path) -> dict[str, list[dict[str, Any]]] | None:
    """Every row of the three raw tables, sorted, as dicts; None when the database does not exist."""
    import duckdb

    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in RAW_TABLES:
            cursor = con.execute(f"select * from raw.{table}")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, row)) for row in cursor.fetchall()]
            tables[table] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
        return tables


@pytest.fixture()
def raw_tables(duckdb_path: Path) -> Any:
    """A function returning the raw tables of the test's DuckDB file (see read_raw_tables)."""
    return lambda: read_raw_tables(duckdb_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `pytest -n ... --dist loadfile` (make test), a worker takes a whole module at
    a time, in collection order: the modules with slow tests go first, so that no worker
    starts a long module while the others have nothing left to do. Within a module the
    order stays as written (tests that extend a module's warehouse rely on it)."""
    if config.getoption("dist", "no") == "no":
        return
    slow_modules = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_modules)
