"""A stopped run leaves nothing running, and the warehouse as good as before.

What schedulers and operators do to a run: SIGTERM (`timeout`, systemd, Kubernetes,
Airflow stopping a task) and SIGKILL of the run's process alone (the OOM killer,
`kill -9`), during the load and during `dbt build`, to `orchestrate.py` and to
`python -m pipeline.step_cli` (what each Airflow task runs). After each: no process
of the run is left 30 s later, the warehouse opens, every mart holds its old or its
new content, and the next run succeeds with marts equal to a clean run's.

Each case starts from a warehouse built on the first days of the data, with one more
day (a new export, a new GA4 shard) waiting. The membership export is read from
moto's S3 server through a loopback proxy that holds back an object's body while a
case asks it to: that is how a case knows the load is under way when it signals.

That first run is made once: each case starts from a copy of what it left (the
warehouse file and dbt's target dir, as an operator's next run finds them). Every run
of the module works in one staged directory, its files moved to the case's own tmp
dir afterwards: dbt then sees one DuckDB path (part of the profile its saved parse is
valid for) and parses the project in part, as it does for an operator's runs.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import pytest

import samplegen
from membership_elt.exit_codes import ExitCode
from pipeline import cli
from pipeline.runner import StepResult, run_pipeline
from pipeline.settings import resolve
from pipeline.stopping import Interrupted
from tests.conftest import FAKE_AWS
from tests.support.pipeline_runs import MART_KEYS, ROOT, Workspace, explain, step

MEMBERS_PER_YEAR = 1000
DAYS = 30
START = dt.date(2025, 1, 20)
SEED = 20250120
NOTHING_LEFT_WITHIN = 30.0  # seconds: the bound the issue sets on what outlives a stopped run
EVENT_CEILING = 600.0  # a busy machine is slow, never red: the wait ends at the event
RUN_TIMEOUT = 900.0


# --- an S3 endpoint that can hold an object's body back --------------------------


@dataclass
class HeldBodies:
    """While `holding` is set, a GET of an object waits for `release` before it is
    answered; `held` is set when the first such GET arrives."""

    holding: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def arm(self) -> None:
        self.held.clear()
        self.release.clear()
        self.holding.set()

    def disarm(self) -> None:
        self.holding.clear()
        self.release.set()


@pytest.fixture(scope="module")
def proxy(s3_endpoint: str) -> Iterator[tuple[str, HeldBodies]]:
    bodies = HeldBodies()
    upstream = urlsplit(s3_endpoint)

    class Proxy(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            is_object_get = self.command == "GET" and "?" not in self.path and self.path.count("/") >= 2
            if is_object_get and bodies.holding.is_set():
                bodies.held.set()
                bodies.release.wait(EVENT_CEILING)
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            try:
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in {"connection", "transfer-encoding", "server", "date"}:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client was stopped while it waited: that is the point
            finally:
                connection.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", bodies
    finally:
        bodies.disarm()
        server.shutdown()
        server.server_close()


# --- the data, the warehouse before, and a clean run after ----------------------


@dataclass
class Setting:
    """What every case shares."""

    root: Path
    source_uri: str
    ga4_dir: Path  # every day, the new one included
    aws: dict[str, str]
    bodies: HeldBodies
    before_dir: Path  # the workspace of the first run, on the first DAYS days
    before: dict[str, pd.DataFrame] = field(default_factory=dict)
    clean: dict[str, pd.DataFrame] = field(default_factory=dict)  # a clean run on every day
    clean_raw: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def staged(self, keep: Path, *, copied: tuple[str, ...]) -> Iterator[Workspace]:
        """A workspace at the module's one staged path, holding a copy of the `copied`
        folders of the first run's workspace; moved to `keep` afterwards."""
        stage = self.root / "stage"
        stage.mkdir()
        for folder in copied:  # the warehouse folder holds the file and its WAL, if any
            shutil.copytree(self.before_dir / folder, stage / folder)
        try:
            yield Workspace(root=stage, membership_dir=stage / "unused", ga4_dir=self.ga4_dir)
        finally:
            stage.rename(keep)

    def env(self, ws: Workspace) -> dict[str, str]:
        return ws.env(MEMBERSHIP_SOURCE_URI=self.source_uri, PYTHONPATH=str(ROOT), **self.aws)

    def run(self, ws: Workspace) -> None:
        result = subprocess.run(ws.command(), env=self.env(ws), cwd=ROOT, capture_output=True, text=True,
                                timeout=RUN_TIMEOUT)
        assert result.returncode == 0, explain(result)


def _raw_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {table: int(con.execute(f"select count(*) from raw.{table}").fetchone()[0])
                for table in ("membership", "membership_rejects", "load_manifest")}


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory, proxy: tuple[str, HeldBodies]) -> Setting:
    endpoint, bodies = proxy
    root = tmp_path_factory.mktemp("stopping")
    old = samplegen.generate(root / "old", members=MEMBERS_PER_YEAR, days=DAYS, start=START, seed=SEED)
    new = samplegen.generate(root / "new", members=MEMBERS_PER_YEAR, days=DAYS + 1, start=START, seed=SEED)
    aws = {**FAKE_AWS, "AWS_ENDPOINT_URL": endpoint, "AWS_MAX_ATTEMPTS": "2",
           "AWS_CONFIG_FILE": str(root / "no-aws-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(root / "no-aws-credentials")}
    import boto3

    s3 = boto3.session.Session(**{k.lower(): v for k, v in FAKE_AWS.items() if k != "AWS_DEFAULT_REGION"},
                               region_name=FAKE_AWS["AWS_DEFAULT_REGION"]).client("s3", endpoint_url=endpoint)
    bucket = f"stopping-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    source_uri = f"s3://{bucket}/membership/*.csv"

    def upload(files: list[str]) -> None:
        for name in files:
            s3.upload_file(name, bucket, f"membership/{Path(name).name}")

    setting = Setting(root=root, source_uri=source_uri, ga4_dir=root / "ga4", aws=aws, bodies=bodies,
                      before_dir=root / "before")
    # The warehouse before: the first DAYS days.
    upload(old["membership_files"])
    shutil.copytree(root / "old" / "ga4", setting.ga4_dir)
    with setting.staged(setting.before_dir, copied=()) as ws:
        setting.run(ws)
        setting.before = ws.marts()
    # One more day waits: its export in S3 beside the others, its shard beside theirs.
    old_names = {Path(p).name for p in old["membership_files"]}
    new_exports = [p for p in new["membership_files"] if Path(p).name not in old_names]
    assert new_exports, "the generator wrote no new export for the extra day"
    upload(new_exports)
    new_shards = [shard for shard in sorted((root / "new" / "ga4").iterdir())
                  if not (setting.ga4_dir / shard.name).exists()]
    assert new_shards, "the generator wrote no new GA4 shard for the extra day"
    for shard in new_shards:
        shutil.copy2(shard, setting.ga4_dir / shard.name)
    # A clean run on all of it (an empty warehouse): what every case's next run must equal.
    with setting.staged(root / "clean", copied=("dbt_target",)) as ws:
        setting.run(ws)
        setting.clean, setting.clean_raw = ws.marts(), _raw_counts(ws.duckdb_path)
    assert any(not _same(setting.before[name], setting.clean[name]) for name in MART_KEYS), \
        "the extra day changed no mart: the cases could not tell old content from new"
    return setting


@pytest.fixture
def ws(setting: Setting, tmp_path: Path) -> Iterator[Workspace]:
    """A case's workspace: the first run's warehouse and dbt target dir, at the staged
    path while the case runs, in the case's tmp dir after."""
    with setting.staged(tmp_path / "workspace", copied=("warehouse", "dbt_target")) as staged:
        yield staged


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return True


# --- the processes of a run ------------------------------------------------------


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), fields[19]


def _processes_of(pid: int) -> dict[int, str]:
    """`pid` and every process below it, with their start times (a reused pid is another process)."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            children.setdefault(stat[1], []).append(int(entry.name))
            starts[int(entry.name)] = stat[2]
    found: dict[int, str] = {}
    stack = [pid]
    while stack:
        current = stack.pop()
        if current in starts and current not in found:
            found[current] = starts[current]
            stack.extend(children.get(current, []))
    return found


def _still_running(processes: dict[int, str]) -> list[int]:
    running = []
    for pid, started in processes.items():
        stat = _stat(pid)
        if stat is not None and stat[0] != "Z" and stat[2] == started:
            running.append(pid)
    return running


def _command_lines(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
        except OSError:
            pass
    return lines


# --- one case ---------------------------------------------------------------------


def _wait_for(condition: Any, process: subprocess.Popen[bytes], what: str, out: Path) -> None:
    deadline = time.monotonic() + EVENT_CEILING
    while not condition():
        assert process.poll() is None, f"the run ended (exit {process.returncode}) before {what}:\n" \
                                       f"{out.read_text(errors='replace')[-4000:]}"
        assert time.monotonic() < deadline, f"no sign of {what} after {EVENT_CEILING:.0f} s"
        time.sleep(0.1)


def _mart_done(log: Path, offset: int) -> bool:
    """A mart (an fct_ model) has been built since `offset` in dbt's own JSON log."""
    if not log.exists():
        return False
    with log.open("rb") as f:
        f.seek(offset)
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if (event.get("info", {}).get("name") == "LogModelResult"
                    and str(event.get("data", {}).get("node_info", {}).get("node_name", "")).startswith("fct_")):
                return True
    return False


@dataclass
class Stopped:
    returncode: int
    output: str
    ws: Workspace


def _stop_a_run(setting: Setting, ws: Workspace, tmp_path: Path, command: list[str], during: str,
                signum: int) -> Stopped:
    out = tmp_path / "output.txt"
    dbt_log = ws.root / "dbt_logs" / "dbt.log"
    offset = dbt_log.stat().st_size if dbt_log.exists() else 0
    if during == "load":
        setting.bodies.arm()
    try:
        with out.open("wb") as sink:
            process = subprocess.Popen(command, env=setting.env(ws), cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            if during == "load":
                _wait_for(setting.bodies.held.is_set, process, "the export's download", out)
            else:
                _wait_for(lambda: _mart_done(dbt_log, offset), process, "a mart built by dbt", out)
            processes = _processes_of(process.pid)
            os.kill(process.pid, signum)
            deadline = time.monotonic() + NOTHING_LEFT_WITHIN
            while (running := _still_running(processes)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not running, (f"{NOTHING_LEFT_WITHIN:.0f} s after {signal.Signals(signum).name}, processes of "
                                 f"the run still run: {_command_lines(running)}")
            returncode = process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    finally:
        setting.bodies.disarm()
    return Stopped(returncode, out.read_text(errors="replace"), ws)


def _assert_warehouse_usable_then_next_run_is_clean(setting: Setting, stopped: Stopped) -> None:
    ws = stopped.ws
    duckdb.connect(str(ws.duckdb_path)).close()  # opens for writing: nobody holds it
    marts = ws.marts()
    for name in MART_KEYS:
        assert _same(marts[name], setting.before[name]) or _same(marts[name], setting.clean[name]), \
            f"{name} is neither what it was before the stopped run nor what a clean run builds"
    setting.run(ws)
    after = ws.marts()
    for name in MART_KEYS:
        pd.testing.assert_frame_equal(after[name], setting.clean[name], check_exact=True, obj=name)
    assert _raw_counts(ws.duckdb_path) == setting.clean_raw


STEP_OF = {"load": "load", "dbt": "dbt_build"}


@pytest.mark.slow
@pytest.mark.parametrize("during", ["load", "dbt"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_orchestrate_stopped_leaves_nothing_running_and_the_next_run_is_clean(
        setting: Setting, ws: Workspace, tmp_path: Path, during: str, signum: int) -> None:
    stopped = _stop_a_run(setting, ws, tmp_path, ws.command(), during, signum)
    if signum == signal.SIGTERM:
        assert stopped.returncode == ExitCode.INTERRUPTED, stopped.output[-4000:]
        summary = ws.summary()
        assert (summary["status"], summary["exit_code"]) == ("interrupted", ExitCode.INTERRUPTED)
        assert summary["stop_signals"] == ["SIGTERM"]
        stopped_step = step(summary, STEP_OF[during])
        assert stopped_step["status"] == "interrupted" and stopped_step["error"] == "interrupted by SIGTERM"
        if during == "load":
            assert step(summary, "dbt_build")["error"] == "not run: the run was interrupted by SIGTERM"
    else:
        assert stopped.returncode == -signal.SIGKILL
    _assert_warehouse_usable_then_next_run_is_clean(setting, stopped)


@pytest.mark.slow
@pytest.mark.parametrize("during", ["load", "dbt"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_step_stopped_as_airflow_stops_a_task_leaves_nothing_running(
        setting: Setting, ws: Workspace, tmp_path: Path, during: str, signum: int) -> None:
    """Airflow stops a task (its timeout, a mark-failed) with SIGTERM, then SIGKILL."""
    command = [sys.executable, "-m", "pipeline.step_cli", STEP_OF[during]]
    stopped = _stop_a_run(setting, ws, tmp_path, command, during, signum)
    if signum == signal.SIGTERM:
        assert stopped.returncode == ExitCode.INTERRUPTED, stopped.output[-4000:]
        records = [json.loads(line) for line in stopped.output.splitlines() if line.startswith('{"name"')]
        assert records and records[-1]["status"] == "interrupted", stopped.output[-4000:]
        assert records[-1]["error"] == "interrupted by SIGTERM"
    else:
        assert stopped.returncode == -signal.SIGKILL
    _assert_warehouse_usable_then_next_run_is_clean(setting, stopped)


# The task process of an Airflow @task running a step as the DAG's tasks do, with the
# SIGTERM handler Airflow's task runner installs (it calls the operator's on_kill,
# which a @task does not have). Airflow's own interpreter is not needed for that.
STAND_IN_TASK = """
import signal, sys
from pipeline import airflow_support as support
signal.signal(signal.SIGTERM, lambda signum, frame: None)
code, stdout = support._run_step_process(support.step_command(sys.argv[1]))
print(stdout, end="")
print(f"step exit {code}", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_an_airflow_task_stopped_during_dbt_leaves_nothing_running(
        setting: Setting, ws: Workspace, tmp_path: Path, signum: int) -> None:
    """SIGTERM to the task process reaches the step, which stops dbt; when the task
    process is killed, the kernel sends the step SIGTERM, and it stops dbt the same way."""
    command = [sys.executable, "-c", STAND_IN_TASK, "dbt_build"]
    stopped = _stop_a_run(setting, ws, tmp_path, command, "dbt", signum)
    if signum == signal.SIGTERM:
        assert stopped.returncode == 0 and "step exit 130" in stopped.output, stopped.output[-4000:]
        records = [json.loads(line) for line in stopped.output.splitlines() if line.startswith('{"name"')]
        assert records and records[-1]["status"] == "interrupted", stopped.output[-4000:]
    else:
        assert stopped.returncode == -signal.SIGKILL
    _assert_warehouse_usable_then_next_run_is_clean(setting, stopped)


# --- the runner, without processes ---------------------------------------------------


def test_a_stopped_step_is_interrupted_and_the_rest_not_run(tmp_path: Path) -> None:
    settings = resolve("duckdb", {}, {}, environ={"DUCKDB_PATH": str(tmp_path / "w.duckdb")},
                       summary_file=tmp_path / "s.json", retries=2, retry_delay=0.0)

    def stopped(_settings: Any) -> dict[str, Any]:
        raise Interrupted(signal.SIGTERM)

    def never(_settings: Any) -> dict[str, Any]:
        raise AssertionError("a step after an interrupted one must not run")

    results = run_pipeline(settings, [("load", stopped, lambda s: True), ("dbt_build", never, lambda s: True)])
    assert [(r.name, r.status, r.attempts, r.error) for r in results] == [
        ("load", "interrupted", 1, "interrupted by SIGTERM"),
        ("dbt_build", "skipped", 0, "not run: the run was interrupted by SIGTERM"),
    ]
    assert cli.exit_code(results) == ExitCode.INTERRUPTED
    assert cli.exit_code([StepResult("load", status="failed"), *results]) == ExitCode.INTERRUPTED
