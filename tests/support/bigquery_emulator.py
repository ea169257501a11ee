"""A local BigQuery REST API (bqemulator) for the BigQuery-target tests.

The tests run the real client libraries (google-cloud-bigquery in the loader and
scripts, dbt-bigquery in dbt) against bqemulator on 127.0.0.1. It is installed from
the package index into its own virtualenv under `<cache>/bqemulator/` (its pins
clash with dbt's sqlglot, so it cannot share `.venv`; `<cache>` as for Airflow in
scripts/airflow_env.py: `~/.cache/membership-elt` unless set, shared by every clone), started with a private HOME
(so it finds the DuckDB extensions we ship it instead of downloading them), and
stopped by its own process group.

Use the session fixture `bigquery_emulator` (import it into a test module), or the
functions below from a script:

    exe = ensure_installed()
    emulator = start_emulator(exe)
    ... os.environ["BIGQUERY_EMULATOR_HOST"] = emulator.endpoint ...
    stop_emulator(emulator)

Measured on a 2-core CI-class machine: the first install takes about 30 s (cached
afterwards; a pin change reinstalls), the server answers /healthz about 1 s after start.

Set BQ_EMULATOR_REQUIRED=1 (or CI=true) to make an install or start failure an error
instead of a skip: CI must run these tests, a laptop without the package index need not.

Emulator gaps (bqemulator 1.4.0), each found with a small probe. Where the emulator
differs from real BigQuery, the project's SQL is written so it is correct on both;
models never test for the emulator.

 1. DATE_TRUNC(d, WEEK(MONDAY)) / DATE_TRUNC(d, MONTH) return DATETIME (and wrong days
    on literals); DATE_TRUNC(d, ISOWEEK) fails ("extract specifier ISOWEEK"). The
    bigquery week_start / month_start macros use DATE_SUB date arithmetic instead.
 2. The un-aliased GA4 idiom `(select value.int_value from unnest(event_params) where
    key = 'x')` fails; ga4_event_param aliases the element (`unnest(...) as p`).
 3. A correlated `unnest(event_params)` subquery over a CTE or subquery breaks ("column
    event_params not found") as soon as the same query holds anything the emulator
    rewrites after transpiling (string `||` / CONCAT, UPPER, FORMAT, ...): that
    re-qualifies the whole tree and loses the outer column. ga4_surrogate_key joins its
    parts with ARRAY_TO_STRING (same text on both dialects) instead of concatenating.
 4. PARSE_TIMESTAMP ignores its time zone argument (local times come out as UTC),
    rejects %E*S, and with %Ez raises on non-matching input even under SAFE.
    parse_member_datetime casts the canonical text instead: SAFE_CAST(... AS TIMESTAMP)
    for values with an offset, TIMESTAMP(SAFE_CAST(... AS DATETIME), zone) otherwise.
 5. `CREATE TABLE t (column definitions) AS (SELECT ...)`, which dbt-bigquery emits for
    every model with an enforced contract, fails (the emulator rewrites only the
    unparenthesised form). Repaired on the test side: tests/support/bqemulator_shim.py.
 6. A Parquet load job into a table that does not exist yet needs an explicit schema
    (real BigQuery infers it); scripts/load_ga4_sample.py always passes the export's.
 7. No `__TABLES__` metadata view: `dbt docs generate` on the BigQuery target runs with
    `--empty-catalog` in the tests.
 8. dbt-bigquery's dynamic insert_overwrite fails on its script variable; the GA4
    incremental models use a static list of partitions (ga4_incremental_config).
 9. Query parameters are not bound inside multi-statement scripts ("Values were not
    provided for ... parameters"). The loader's BigQuery sink writes escaped literals.
10. String literal escapes backslash-x, -u and -U are kept verbatim, not decoded; the
    sink escapes only backslash, quote, CR and LF, which both read alike.
11. BEGIN ... EXCEPTION WHEN ERROR blocks fail (@@error.message) and leave the block's
    earlier statements applied. The sink uses a plain BEGIN / COMMIT TRANSACTION
    script, which BigQuery (and the emulator) roll back when any statement fails.
12. Schema changes live in two places: tables.patch (update_table) changes only the
    emulator's catalog, ALTER TABLE ... ADD COLUMN only its query engine, and ALTER
    takes one ADD COLUMN per statement. The sink issues one ALTER per new column, then
    patches the schema if the table's metadata still lacks it (a no-op on BigQuery).
13. Clustering set by DDL (`cluster by`) is not reported back by tables.get.
14. A wildcard table (`events_*`) over tables whose columns differ fails ("Set
    operations can only apply to expressions with the same number of result
    columns"); real BigQuery uses the newest table's schema and reads the others'
    missing columns as null. scripts/load_ga4_sample.py gives every shard table the
    newest shard's columns.
15. Crash safety, ours: the DuckDB extension files are mapped by running emulators, so
    the installer never rewrites them in place (a rewrite made every running emulator
    segfault). A crashed emulator shows up as "Connection refused", which
    google-cloud-bigquery retries for up to 600 s before failing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Shared by every checkout on the machine, like Airflow's (scripts/airflow_env.py).
CACHE_DIR = Path(os.environ.get("MEMBERSHIP_ELT_CACHE") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "membership-elt") / "bqemulator"
DUCKDB_EXTENSION_VERSION = "v1.5.5"
DUCKDB_PLATFORM = "linux_amd64"
PROJECT_ID = "test-project"
SHIM = Path(__file__).resolve().parent / "bqemulator_shim.py"

# Exact pins: the emulator embeds DuckDB, whose extensions must match its version,
# and numpy is pinned so a new release cannot change results between runs.
PINS = (
    "bqemulator==1.4.0",
    "numpy==2.4.6",
    "duckdb==1.5.5",
    "duckdb-extension-spatial==1.5.5",
    "duckdb-extension-avro==1.5.5",
)

INSTALL_TIMEOUT_SECONDS = 900
START_TIMEOUT_SECONDS = 300  # a ceiling: start-up ends at the first answer of /healthz


class EmulatorUnavailable(RuntimeError):
    """The emulator could not be installed or started; the message says why."""


@dataclass(frozen=True)
class Emulator:
    endpoint: str  # e.g. http://127.0.0.1:40123, the value for BIGQUERY_EMULATOR_HOST
    project: str
    rest_port: int
    grpc_port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in_seconds: float


def _pins_digest() -> str:
    return hashlib.sha256("\n".join(PINS).encode()).hexdigest()[:16]


def _venv_dir() -> Path:
    return CACHE_DIR / f"venv-{_pins_digest()}"


def _home_dir() -> Path:
    return CACHE_DIR / "home"


def _run(command: list[str], what: str) -> None:
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise EmulatorUnavailable(f"{what} failed: {error}") from error
    if completed.returncode != 0:
        lines = (completed.stdout + completed.stderr).strip().splitlines()
        tail = [line for line in lines if not line.startswith("WARNING: Location")][-25:]
        raise EmulatorUnavailable(
            f"{what} failed (exit {completed.returncode}) running {' '.join(command)}:\n"
            + "\n".join(tail)
        )


def _install_extensions(venv: Path) -> None:
    target = _home_dir() / ".duckdb" / "extensions" / DUCKDB_EXTENSION_VERSION / DUCKDB_PLATFORM
    target.mkdir(parents=True, exist_ok=True)
    found = sorted(venv.glob(f"lib/python*/site-packages/duckdb_extension_*/extensions/"
                             f"{DUCKDB_EXTENSION_VERSION}/*.duckdb_extension"))
    names = {path.name for path in found}
    if names != {"spatial.duckdb_extension", "avro.duckdb_extension"}:
        raise EmulatorUnavailable(
            f"expected the spatial and avro DuckDB {DUCKDB_EXTENSION_VERSION} extensions in "
            f"{venv}, found {sorted(names) or 'none'}; delete {CACHE_DIR} and rerun to reinstall"
        )
    for path in found:
        destination = target / path.name
        if destination.exists() and _same_bytes(path, destination):
            continue
        # Never rewrite the file in place: a running emulator has it mapped into memory
        # and crashes (SIGSEGV) if its pages change. A new inode leaves it untouched.
        partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
        shutil.copy2(path, partial)
        os.replace(partial, destination)


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def ensure_installed() -> Path:
    """Install the pinned emulator once (cached by pin digest); return its executable.

    A completed install leaves a marker file, so an interrupted one is redone rather
    than trusted. Concurrent sessions serialise on a lock file.
    """
    import fcntl  # POSIX only, like the emulator's DuckDB extensions

    venv = _venv_dir()
    exe = venv / "bin" / "bqemulator"
    marker = venv / ".installed"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (marker.exists() and exe.exists()):
            shutil.rmtree(venv, ignore_errors=True)
            _run([sys.executable, "-m", "venv", str(venv)], "creating the emulator virtualenv")
            _run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", *PINS],
                "installing bqemulator from the package index",
            )
            marker.write_text("\n".join(PINS) + "\n")
        _install_extensions(venv)
    return exe


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/healthz", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_emulator(exe: Path, log_dir: Path | None = None) -> Emulator:
    """Start an ephemeral emulator on free loopback ports; return once /healthz answers."""
    rest_port, grpc_port = _free_port(), _free_port()
    while grpc_port == rest_port:
        grpc_port = _free_port()
    log_dir = log_dir or CACHE_DIR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"bqemulator-{rest_port}.log"
    # Private HOME: DuckDB looks for its extensions under $HOME/.duckdb, and must
    # find the ones we installed rather than try to download them.
    env = {**os.environ, "HOME": str(_home_dir())}
    env.pop("BIGQUERY_EMULATOR_HOST", None)
    # Through the shim: the emulator's own CLI with one translation fix (see
    # tests/support/bqemulator_shim.py), run by the emulator's interpreter.
    command = [
        str(exe.parent / "python"), str(SHIM), "start",
        "--rest-host", "127.0.0.1", "--rest-port", str(rest_port),
        "--grpc-host", "127.0.0.1", "--grpc-port", str(grpc_port),
        "--project", PROJECT_ID, "--ephemeral", "--log-level", "warning",
    ]
    started = time.monotonic()
    with open(log_path, "wb") as log:
        # Own session = own process group, so stopping it reaches any child it forks.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    endpoint = f"http://127.0.0.1:{rest_port}"
    emulator = Emulator(endpoint, PROJECT_ID, rest_port, grpc_port, process, log_path, 0.0)
    while time.monotonic() - started < START_TIMEOUT_SECONDS:
        if process.poll() is not None:
            raise EmulatorUnavailable(
                f"bqemulator exited with code {process.returncode} during start-up; "
                f"its log ({log_path}) ends with:\n{_log_tail(log_path)}"
            )
        if _healthy(endpoint):
            elapsed = time.monotonic() - started
            return Emulator(endpoint, PROJECT_ID, rest_port, grpc_port, process, log_path,
                            elapsed)
        time.sleep(0.1)
    stop_emulator(emulator)
    raise EmulatorUnavailable(
        f"bqemulator did not answer {endpoint}/healthz within {START_TIMEOUT_SECONDS} s; "
        f"its log ({log_path}) ends with:\n{_log_tail(log_path)}"
    )


def stop_emulator(emulator: Emulator) -> None:
    """Stop the emulator's process group: TERM, then KILL if it lingers."""
    process = emulator.process
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def emulator_env(emulator: Emulator, **extra: str) -> dict[str, str]:
    """The environment that points every client (loader, scripts, dbt) at the emulator."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"GOOGLE_APPLICATION_CREDENTIALS"}}
    env.update(
        BIGQUERY_EMULATOR_HOST=emulator.endpoint,
        GOOGLE_CLOUD_PROJECT=emulator.project,
        BQ_LOCATION="US",
    )
    env.update(extra)
    return env


def _required() -> bool:
    return any(
        os.environ.get(name, "").lower() in {"1", "true", "yes"}
        for name in ("BQ_EMULATOR_REQUIRED", "CI")
    )


@pytest.fixture(scope="module")
def bigquery_emulator() -> Iterator[Emulator]:
    """A running local BigQuery API for one test module; skipped loudly if unavailable.

    One per module, not per session: modules load the same dataset names (the default
    GA4 dataset among them), and a worker runs several modules one after another."""
    try:
        install_started = time.monotonic()
        exe = ensure_installed()
        install_seconds = time.monotonic() - install_started
        emulator = start_emulator(exe)
    except EmulatorUnavailable as error:
        message = (
            "BIGQUERY TESTS NOT RUN: the local BigQuery API (bqemulator) is unavailable. "
            f"{error}"
        )
        if _required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    print(
        f"\nbqemulator ready at {emulator.endpoint}: install/cache check "
        f"{install_seconds:.1f} s, start {emulator.started_in_seconds:.1f} s"
    )
    try:
        yield emulator
    finally:
        stop_emulator(emulator)


@pytest.fixture()
def raw_dataset(bigquery_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh raw dataset name on the running emulator, set up in the environment the
    loader reads (the dataset itself is created by the first load)."""
    import uuid

    dataset = f"raw_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", bigquery_emulator.endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", bigquery_emulator.project)
    monkeypatch.setenv("BQ_LOCATION", "US")
    monkeypatch.setenv("RAW_SCHEMA", dataset)
    return dataset


def query_rows(sql: str) -> list[tuple]:
    """Every row of `sql` on the emulator the environment names."""
    from loader.sinks.bigquery_client import bigquery_client

    client = bigquery_client()
    try:
        return [tuple(row.values()) for row in client.query(sql).result()]
    finally:
        client.close()
