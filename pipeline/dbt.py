"""dbt as a child process: its log to a file, progress to the terminal, results read back.

dbt runs as `dbt <command> --log-format json` in a child process whose environment
holds the resolved settings (`Settings.dbt_environment`). Every event it prints goes,
as the text dbt would have shown, to one log file per step; the terminal gets a
progress line and, at the end, only what failed or warned. With `--log-format json`
dbt's own JSON lines are passed through to stdout for log collectors.

The outcome comes from dbt's `run_results.json`: node counts by kind (models, seeds,
data tests and unit tests apart), failing and warning tests with a few of their
failing rows, and skipped models grouped by the failure that skipped them. On
BigQuery, every job the invocation issued is read back (pipeline/bigquery_jobs.py)
for the bytes by model, and a bytes budget stops dbt between nodes
(pipeline/bytes_budget.py).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from loader.transient import is_transient_message
from pipeline.bigquery_jobs import Job, invocation_jobs
from pipeline.bytes_budget import BudgetWatch, job_cap_environment
from pipeline.dbt_bytes import bytes_summary, jobs_summary
from pipeline.settings import DBT_PROJECT_DIR, Settings
from pipeline.stopping import interruptible_child_dying_with_parent, stop_child

FAILING_ROWS_SHOWN = 5
_PROGRESS_EVERY_SECONDS = 15.0
# Events that mark a node as done, whatever its outcome.
_NODE_DONE_EVENTS = frozenset({
    "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult",
    "LogNodeNoOpResult", "SkippingDetails", "LogFreshnessResult",
})


@dataclass
class DbtOutcome:
    """What one dbt invocation did."""

    returncode: int
    log_file: Path
    results: list[dict[str, Any]] = field(default_factory=list)
    stderr: str = ""
    errors: list[str] = field(default_factory=list)  # error-level messages dbt printed
    manifest: dict[str, Any] = field(default_factory=dict)
    jobs: list[Job] | None = None  # BigQuery: every job of the invocation; None: not listed
    jobs_error: str | None = None  # why the jobs could not be listed
    budget_error: str | None = None  # the bytes budget was spent and dbt stopped

    @property
    def success(self) -> bool:
        return self.returncode == 0 and self.budget_error is None


def dbt_executable() -> str:
    """The dbt of the interpreter running us (the project's .venv)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_command(command: list[str], settings: Settings) -> list[str]:
    argv = [
        dbt_executable(), *command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", settings.target,
        "--log-format", "json",
        "--use-colors" if settings.interactive else "--no-use-colors",
    ]
    if settings.vars:
        argv += ["--vars", yaml_text(settings.vars)]
    if command == ["build"]:
        if settings.full_refresh:
            argv.append("--full-refresh")
        if settings.select:
            argv += ["--select", settings.select]
        if not settings.unit_tests:
            argv += ["--exclude-resource-type", "unit_test"]
    return argv


def yaml_text(variables: dict[str, Any]) -> str:
    """Back to YAML, which dbt parses: dates stay what they would have been had the
    user passed --vars to dbt directly."""
    import yaml

    return yaml.safe_dump(variables, default_flow_style=True, sort_keys=False).strip()


class Progress:
    """A live line on a terminal; a line every so often when the output is a file.

    It counts nodes done, not "i of N": dbt's own numbering runs to more than the
    TOTAL of its closing line, which is what the summary's count agrees with.
    """

    def __init__(self, label: str, interactive: bool, out: TextIO) -> None:
        self.label, self.interactive, self.out = label, interactive, out
        self.done = 0
        self._last = time.monotonic()
        self._started = self._last

    def node_done(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.interactive:
            self.out.write(f"\r  {self.label}: {self.done} nodes done")
            self.out.flush()
        elif now - self._last >= _PROGRESS_EVERY_SECONDS:
            self._last = now
            print(f"  {self.label}: {self.done} nodes done ({now - self._started:.0f} s)",
                  file=self.out, flush=True)

    def close(self) -> None:
        if self.interactive and self.done:
            self.out.write("\r" + " " * 60 + "\r")
            self.out.flush()


def run_dbt(command: list[str], settings: Settings, step: str,
            out: TextIO | None = None) -> DbtOutcome:
    """Run one dbt command; its log goes to `<log dir>/<step>.log`."""
    out = out or sys.stdout
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    log_file = settings.log_dir / f"{step}.log"
    run_results = settings.dbt_target_path / "run_results.json"
    run_results.unlink(missing_ok=True)  # never read a previous run's results
    progress = Progress(" ".join(command), settings.interactive, out)
    errors: list[str] = []
    passthrough = settings.log_format == "json"
    list_jobs = _job_lister(settings, dt.datetime.now(dt.UTC))
    budget = bytes_budget(settings)
    watch = BudgetWatch(budget, list_jobs) if list_jobs and budget is not None else None
    invocation_id: str | None = None
    environment = child_environment(settings)
    with log_file.open("w", encoding="utf-8") as log, subprocess.Popen(
        dbt_command(command, settings), cwd=DBT_PROJECT_DIR, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
        # Its own process group, so that a Ctrl-C on the terminal reaches dbt once, from
        # us; and SIGKILL when we die, so that it never holds the warehouse after us.
        process_group=0, preexec_fn=interruptible_child_dying_with_parent(),
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        try:
            for line in child.stdout:
                event = _event(line)
                if passthrough:
                    out.write(line if event else json.dumps({"msg": line.rstrip("\n")}) + "\n")
                if event is None:
                    log.write(line)
                    continue
                info = event.get("info", {})
                invocation_id = invocation_id or info.get("invocation_id")
                log.write(f"{info.get('ts', '')[11:19]} {info.get('msg', '')}\n")
                if info.get("level") == "error" and info.get("msg"):
                    errors.append(str(info["msg"]))
                if info.get("name") in _NODE_DONE_EVENTS:
                    if not passthrough:
                        progress.node_done()
                    if watch and _budget_spent(watch, invocation_id):
                        break
        except BaseException:
            # SIGINT is dbt's Ctrl-C: it cancels its open queries (BigQuery jobs too) and
            # exits; what it still prints goes to the log.
            rest, stderr = stop_child(child, signal.SIGINT)
            log.write(rest + stderr)
            log.write(f"[dbt stopped by orchestrate.py: exit {child.returncode}]\n")
            progress.close()
            raise
        if watch and watch.exceeded:
            rest, stderr = stop_child(child, signal.SIGINT)
            log.write(rest + stderr)
            log.write(f"[dbt stopped by orchestrate.py: {watch.exceeded}]\n")
        else:
            stderr = child.stderr.read()
        log.write(stderr)
    progress.close()
    outcome = DbtOutcome(child.returncode, log_file, stderr=stderr, errors=errors,
                         budget_error=watch.exceeded if watch else None)
    if list_jobs and invocation_id:
        try:
            outcome.jobs = list_jobs(invocation_id)
        except Exception as error:  # the bytes are a help; the build's outcome stands
            outcome.jobs_error = (f"{type(error).__name__}: {error}. Listing a run's BigQuery jobs needs the "
                                  "bigquery.jobs.list permission (BigQuery User role); the bytes shown are "
                                  "each node's main statement only.")
    if run_results.exists():
        outcome.results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    manifest = settings.dbt_target_path / "manifest.json"
    if manifest.exists():
        outcome.manifest = json.loads(manifest.read_text(encoding="utf-8"))
    return outcome


def bytes_budget(settings: Settings) -> int | None:
    """The run's BigQuery bytes budget (var bigquery_bytes_budget); None off BigQuery."""
    budget = settings.effective_vars.get("bigquery_bytes_budget")
    return int(budget) if settings.target == "bigquery" and budget is not None else None


def child_environment(settings: Settings) -> dict[str, str]:
    """dbt's environment: the resolved settings, and the budget's per-job cap."""
    return {**settings.dbt_environment(), **job_cap_environment(bytes_budget(settings))}


def _job_lister(settings: Settings, since: dt.datetime) -> Callable[[str], list[Job]] | None:
    """On BigQuery, a function listing an invocation's jobs created since `since`."""
    if settings.target != "bigquery":
        return None

    def list_jobs(invocation_id: str) -> list[Job]:
        from loader.sinks.bigquery_client import bigquery_client

        client = bigquery_client(settings.environ.get("GOOGLE_CLOUD_PROJECT"), settings.environ.get("BQ_LOCATION"))
        try:
            return invocation_jobs(client, invocation_id, since)
        finally:
            client.close()

    return list_jobs


def _budget_spent(watch: BudgetWatch, invocation_id: str | None) -> bool:
    """True once the budget is spent, or once the spend cannot be read: a budget
    that cannot be checked is not kept."""
    try:
        return watch.check(invocation_id) is not None
    except Exception as error:
        watch.exceeded = (f"the BigQuery bytes budget (var bigquery_bytes_budget) cannot be checked: listing "
                          f"this build's jobs failed ({type(error).__name__}: {error}). Grant the "
                          "bigquery.jobs.list permission (BigQuery User role), or unset the budget.")
        return True


def _event(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


# --------------------------------------------------------------------- results

KINDS = {"model": "models", "seed": "seeds", "snapshot": "snapshots", "test": "data_tests",
         "unit_test": "unit_tests", "exposure": "exposures", "operation": "hooks"}


def _kind(unique_id: str) -> str:
    return KINDS.get(unique_id.split(".", 1)[0], "other")


def _name(unique_id: str) -> str:
    parts = unique_id.split(".")
    if parts[0] == "test" and len(parts) > 3:
        return parts[2]  # drop the hash dbt appends to generic test ids
    return ".".join(parts[2:]) if len(parts) > 2 else unique_id


def summarize(outcome: DbtOutcome, failing_rows: Callable[[str], list[dict[str, Any]]] | None = None
              ) -> dict[str, Any]:
    """Counts by kind and status, the problems, and skipped models grouped by cause."""
    counts: dict[str, dict[str, int]] = {}
    problems: list[dict[str, Any]] = []
    skipped: list[str] = []
    for result in outcome.results:
        unique_id, status = result["unique_id"], str(result["status"])
        kind = _kind(unique_id)
        counts.setdefault(kind, {})
        counts[kind][status] = counts[kind].get(status, 0) + 1
        if status == "skipped":
            skipped.append(unique_id)
        elif status in ("error", "fail", "warn", "runtime error"):
            problem: dict[str, Any] = {
                "node": unique_id, "name": _name(unique_id), "kind": kind, "status": status,
                "message": (result.get("message") or "").strip(),
                "failures": result.get("failures"),
            }
            if kind == "data_tests" and status in ("fail", "warn") and result.get("compiled_code") and failing_rows:
                try:
                    problem["failing_rows"] = failing_rows(result["compiled_code"])
                except Exception as error:  # the rows are a help, never a reason to fail
                    problem["failing_rows_error"] = f"{type(error).__name__}: {error}"
            problems.append(problem)
    failed_ids = {p["node"] for p in problems if p["status"] != "warn"}
    return {
        "nodes": len(outcome.results),
        "counts": counts,
        "problems": problems,
        "skipped": _skipped_by_cause(skipped, failed_ids, outcome.manifest),
        "bytes": _bytes(outcome),
        "log_file": str(outcome.log_file),
    }


def _bytes(outcome: DbtOutcome) -> dict[str, Any] | None:
    """Every job's bytes when they were listed, else each node's main statement."""
    if outcome.jobs is not None:
        summary = jobs_summary(outcome.jobs, _kind, _name)
    else:
        summary = bytes_summary(outcome.results, _kind, _name)
        if summary is not None and outcome.jobs_error:
            summary["jobs_error"] = outcome.jobs_error
    if summary is not None and outcome.budget_error:
        summary["budget_error"] = outcome.budget_error
    return summary


def _skipped_by_cause(skipped: list[str], failed: set[str], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Skipped nodes grouped by the failed nodes that made dbt skip them.

    A failed model skips what is downstream of it; a failed test skips what is
    downstream of the models it tests (dbt build runs a model's tests before its
    children), which the manifest's parent map does not show as an edge.
    """
    parents = manifest.get("parent_map") or {}

    def ancestors(node: str) -> set[str]:
        found: set[str] = set()
        stack = list(parents.get(node, []))
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(parents.get(current, []))
        return found

    blocks = {f: set(parents.get(f, [])) if _kind(f) in ("data_tests", "unit_tests") else {f} for f in failed}
    groups: dict[frozenset[str], list[str]] = {}
    for node in skipped:
        upstream = ancestors(node) | {node}
        cause = frozenset(f for f, roots in blocks.items() if f != node and roots & upstream)
        groups.setdefault(cause, []).append(node)
    return [
        {"because": sorted(cause), "nodes": sorted(nodes),
         "models": sum(_kind(n) == "models" for n in nodes),
         "tests": sum(_kind(n) in ("data_tests", "unit_tests") for n in nodes)}
        for cause, nodes in sorted(groups.items(), key=lambda item: sorted(item[0]))
    ]


def is_transient_failure(outcome: DbtOutcome, details: dict[str, Any]) -> bool:
    """A retry cures only a run whose every error is transient and whose tests held."""
    problems = details.get("problems", [])
    if any(p["status"] == "fail" for p in problems):
        return False
    messages = [p["message"] for p in problems if p["status"] != "warn"]
    if not messages:  # dbt stopped before any node ran: what it printed says why
        messages = outcome.errors or ([outcome.stderr] if outcome.stderr.strip() else [])
    return bool(messages) and all(map(is_transient_message, messages))
