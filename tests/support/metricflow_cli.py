"""Running MetricFlow's `mf` against a built test warehouse, as an analyst would.

`mf` reads the semantic manifest from `<project>/target/semantic_manifest.json`
only (it ignores DBT_TARGET_PATH), so the tests give it a copy of dbt_project/ of
their own, holding the manifest of the test's own build: nothing reads or writes
the repository's dbt_project/target.

The commands run in one MetricFlow process per project and environment
(tests/support/metricflow_server.py, through the `mf` command itself): each `mf`
process would spend about four CPU-seconds starting.
"""

from __future__ import annotations

import atexit
import csv
import datetime as dt
import json
import os
import select
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.pipeline_runs import ROOT

MF = Path(sys.executable).parent / "mf"
COPY_IGNORE = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")


def project_copy(manifest_dir: Path, dest: Path) -> Path:
    """dbt_project/ copied to `dest`, with the semantic manifest of the build whose
    dbt target directory is `manifest_dir`."""
    project = dest / "dbt_project"
    shutil.copytree(ROOT / "dbt_project", project, ignore=COPY_IGNORE)
    (project / "target").mkdir()
    shutil.copy(manifest_dir / "semantic_manifest.json", project / "target" / "semantic_manifest.json")
    return project


def parsed_project_copy(dest: Path, env: dict[str, str]) -> Path:
    """dbt_project/ copied to `dest` and parsed (`dbt parse`) with `env`, whose
    DBT_TARGET decides the relations the semantic manifest names."""
    project = dest / "dbt_project"
    shutil.copytree(ROOT / "dbt_project", project, ignore=COPY_IGNORE)
    env = {k: v for k, v in env.items() if k not in {"DBT_TARGET_PATH", "DBT_LOG_PATH"}}
    result = subprocess.run([str(MF.parent / "dbt"), "parse", "--quiet", "--project-dir", str(project),
                             "--profiles-dir", str(project)], cwd=project, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, f"dbt parse failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return project


def explain(project: Path, env: dict[str, str], metrics: list[str], group_by: list[str]) -> str:
    """The SQL `mf query --explain` compiles for the project's target, without running it."""
    result = run(project, env, "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by),
                 "--explain")
    marker = "SQL ("
    assert result.returncode == 0 and marker in result.stdout, (
        f"mf query --explain failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    text = result.stdout
    return text[text.index("\n", text.index(marker)):].strip()


class _Server:
    """One tests/support/metricflow_server.py process: `mf` commands for one project and environment."""

    def __init__(self, project: Path, env: dict[str, str]) -> None:
        request_end, requests = os.pipe()
        replies, reply_end = os.pipe()
        self._log = project / "logs" / "mf_server.log"
        self._log.parent.mkdir(exist_ok=True)
        with self._log.open("w", encoding="utf-8") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.metricflow_server", str(request_end), str(reply_end)],
                cwd=project, env={**env, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, pass_fds=(request_end, reply_end))
        os.close(request_end)
        os.close(reply_end)
        self._requests = os.fdopen(requests, "w", encoding="utf-8")
        self._replies = os.fdopen(replies, "r", encoding="utf-8")
        self._lock = threading.Lock()

    def run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        with self._lock:
            assert self._process.poll() is None, (
                f"the mf server exited ({self._process.returncode})\n{self._log.read_text(encoding='utf-8')[-3000:]}")
            self._requests.write(json.dumps(args) + "\n")
            self._requests.flush()
            ready, _, _ = select.select([self._replies], [], [], timeout)
            if not ready:
                # Its late answer would be read as the next command's: end it, and the
                # next command gets a new server.
                self._process.kill()
                self._process.wait()
                raise AssertionError(f"mf {' '.join(args)} gave no answer in {timeout} s")
            line = self._replies.readline()
            assert line, (f"the mf server exited ({self._process.wait(timeout=30)}) running: mf {' '.join(args)}\n"
                          f"{self._log.read_text(encoding='utf-8')[-3000:]}")
        reply = json.loads(line)
        return subprocess.CompletedProcess([str(MF), *args], reply["returncode"], reply["stdout"], reply["stderr"])

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        self._requests.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._replies.close()


_servers: dict[tuple[str, tuple[tuple[str, str], ...]], _Server] = {}


@atexit.register
def close_servers() -> None:
    """Ends every mf server this process started (fixtures call it when done with theirs)."""
    while _servers:
        _servers.popitem()[1].close()


def run(project: Path, env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`mf <args>` in `project`, run by the mf server of this project and environment;
    DBT_TARGET_PATH is dropped so dbt's own files stay in the copy."""
    env = {k: v for k, v in env.items() if k != "DBT_TARGET_PATH"}
    key = (str(project), tuple(sorted(env.items())))
    if key not in _servers or not _servers[key].alive():
        _servers[key] = _Server(project, env)
    return _servers[key].run(list(args), timeout)


def _cell(text: str) -> object:
    """A CSV cell of `mf query --csv` as a date, number or None."""
    if text == "":
        return None
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return dt.date.fromisoformat(text[:10])
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def query(project: Path, env: dict[str, str], metrics: list[str], group_by: list[str],
          out: Path, *extra: str) -> list[dict[str, object]]:
    """The rows of `mf query`, each a dict of column -> value; fails with mf's output."""
    result = run(project, env, "query", "--metrics", ",".join(metrics),
                 "--group-by", ",".join(group_by), "--csv", str(out), *extra)
    assert result.returncode == 0 and out.exists(), (
        f"mf query failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    with out.open(newline="", encoding="utf-8") as handle:
        return [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]
