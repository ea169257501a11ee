"""The scheduled entry point: load the membership export, run `dbt build`, report.

    python orchestrate.py [--target duckdb|bigquery] [--full-refresh] [--skip-load]
                          [--select SELECTOR] [--start-date D] [--end-date D]
                          [--vars YAML] [--docs] [--log-format text|json]

Steps, in order: (generate the sample data when it is missing and nothing is
configured), load, dbt build, (dbt docs generate). A step runs only when every step
before it succeeded. The run summary goes to the terminal and, as JSON, to
target/run_summary.json. Exit codes: 0 every step succeeded, 1 a step failed,
2 bad arguments or configuration, 75 another run holds the lock (try again later).
See README.md, "Operations".
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import importlib.util
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent
DBT_PROJECT_DIR = ROOT / "dbt_project"
SAMPLE_DATA_DIR = ROOT / "sample_data"
DEFAULT_SOURCE_URI = "sample_data/membership/*.csv"
DEFAULT_DUCKDB_PATH = "warehouse/membership.duckdb"
DEFAULT_GA4_LOCAL_PATH = "sample_data/ga4"
DEFAULT_LOCK_FILE = ROOT / "target" / "orchestrate.lock"
DEFAULT_SUMMARY_FILE = ROOT / "target" / "run_summary.json"

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75

log = logging.getLogger("orchestrate")


class LockHeld(Exception):
    """Another run holds the lock file."""


# ---------------------------------------------------------------------------
# Arguments and configuration
# ---------------------------------------------------------------------------


def iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load the membership export, then dbt build the KPI marts.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "environment: MEMBERSHIP_SOURCE_URI (default sample_data/membership/*.csv), "
            "DUCKDB_PATH,\n  GA4_LOCAL_PATH, DBT_TARGET, and the warehouse and cloud "
            "variables listed in README.md.\n"
            "exit codes: 0 success, 1 a step failed, 2 bad arguments, "
            "75 another run holds the lock."
        ),
    )
    parser.add_argument("--target", choices=("duckdb", "bigquery"),
                        default=os.environ.get("DBT_TARGET") or "duckdb",
                        help="warehouse (default: $DBT_TARGET, else duckdb)")
    parser.add_argument("--full-refresh", action="store_true",
                        help="rebuild incremental models from scratch (dbt --full-refresh)")
    parser.add_argument("--skip-load", action="store_true", help="skip the load step")
    parser.add_argument("--select", metavar="SELECTOR", help="dbt node selection, e.g. 'fct_kpis_weekly+'")
    parser.add_argument("--start-date", type=iso_date, help="GA4 backfill from this date (dbt var start_date)")
    parser.add_argument("--end-date", type=iso_date, help="GA4 backfill up to this date (dbt var end_date)")
    parser.add_argument("--vars", metavar="YAML", help="extra dbt vars as a YAML mapping")
    parser.add_argument("--docs", action="store_true", help="also run dbt docs generate")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--retries", type=int, default=2, metavar="N",
                        help="retries of a step after a transient failure (default 2)")
    parser.add_argument("--retry-delay", type=float, default=10.0, metavar="SECONDS",
                        help="first backoff delay, doubled after each retry (default 10)")
    parser.add_argument("--lock-file", type=Path, default=DEFAULT_LOCK_FILE,
                        help="lock held for the whole run (default target/orchestrate.lock)")
    parser.add_argument("--summary-file", type=Path, default=DEFAULT_SUMMARY_FILE,
                        help="where the JSON run summary goes (default target/run_summary.json)")
    args = parser.parse_args(argv)
    if args.end_date and not args.start_date:
        parser.error("--end-date needs --start-date: a GA4 backfill runs from a start date "
                     "(to --end-date, else to the latest shard)")
    if args.start_date and args.end_date and args.start_date > args.end_date:
        parser.error(f"--start-date {args.start_date} is after --end-date {args.end_date}")
    if args.retries < 0:
        parser.error("--retries must be 0 or more")
    return args


def dbt_vars(args: argparse.Namespace) -> dict[str, Any]:
    """--vars merged with --start-date / --end-date (the flags win)."""
    import yaml  # dbt depends on PyYAML; dbt parses --vars as YAML too

    extra: Any = {}
    if args.vars:
        try:
            extra = yaml.safe_load(args.vars) or {}
        except (yaml.YAMLError, ValueError) as error:  # ValueError: a date-like value such as 2025-13-01
            raise ValueError(f"--vars is not valid YAML ({error}): give a mapping such as "
                             "'{conversion_window_days: 14, start_date: 2025-03-01}'") from None
        if not isinstance(extra, dict):
            raise ValueError(f"--vars must be a YAML mapping such as '{{conversion_window_days: 14}}', got {args.vars!r}")
    if args.start_date:
        extra["start_date"] = args.start_date
    if args.end_date:
        extra["end_date"] = args.end_date
    return extra


def absolute(value: str | None, default: str) -> str:
    """A configured path made absolute against the working directory; the default
    against the repository root, so a scheduler may start us from anywhere."""
    if value and (value == ":memory:" or value.startswith("md:")):
        return value  # DuckDB's in-memory and MotherDuck databases are not files
    if value:
        return str(Path(value).expanduser().resolve())
    return str(ROOT / default)


def source_uri(value: str | None) -> str:
    if value and "://" in value:
        return value
    return absolute(value, DEFAULT_SOURCE_URI)


def configure_environment(target: str) -> dict[str, str]:
    """Settle the paths the loader and dbt read from the environment, so both see
    the same absolute values whatever the working directory."""
    settled = {
        "DBT_TARGET": target,
        "MEMBERSHIP_SOURCE_URI": source_uri(os.environ.get("MEMBERSHIP_SOURCE_URI")),
        "DUCKDB_PATH": absolute(os.environ.get("DUCKDB_PATH"), DEFAULT_DUCKDB_PATH),
        "GA4_LOCAL_PATH": absolute(os.environ.get("GA4_LOCAL_PATH"), DEFAULT_GA4_LOCAL_PATH),
    }
    os.environ.update(settled)
    return settled


def needs_sample_data(target: str, environ: dict[str, str]) -> bool:
    """True on the unconfigured DuckDB default when the sample data is missing."""
    configured = any(environ.get(name) for name in ("MEMBERSHIP_SOURCE_URI", "GA4_LOCAL_PATH"))
    missing = not (SAMPLE_DATA_DIR / "membership").is_dir() or not (SAMPLE_DATA_DIR / "ga4").is_dir()
    return target == "duckdb" and not configured and missing


# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(log_format: str, stream: TextIO = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


# ---------------------------------------------------------------------------
# The lock
# ---------------------------------------------------------------------------


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` for the whole run.

    The kernel releases a flock when its holder exits, however it dies, so a lock
    file left behind by a killed run is stale by construction and never blocks: the
    next run takes the lock and overwrites the pid in it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # no truncation before we own it
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockHeld(
                f"Another orchestrate.py run holds the lock {path} ({holder}). "
                "Overlapping runs are refused: wait for it to finish, or schedule runs "
                "further apart."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the flock


# ---------------------------------------------------------------------------
# Transient failures and retries
# ---------------------------------------------------------------------------

# Failures that a later attempt can cure: the network, a throttling or briefly
# unavailable service, a warehouse file another process has open. Everything else
# (bad data, a refused file, SQL errors, failing tests, bad credentials) fails the
# same way every time, so it is never retried.
TRANSIENT_EXCEPTION_NAMES = frozenset({
    "ConnectionError", "TimeoutError", "ConnectionResetError", "ConnectionRefusedError",
    "BrokenPipeError",
    # botocore
    "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
    "ConnectionClosedError", "ProxyConnectionError",
    # google.api_core / requests / urllib3
    "ServiceUnavailable", "InternalServerError", "TooManyRequests", "GatewayTimeout",
    "BadGateway", "DeadlineExceeded", "RetryError", "ProtocolError", "NewConnectionError",
})
TRANSIENT_S3_ERROR_CODES = frozenset({
    "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling",
    "ThrottlingException", "RequestLimitExceeded", "500", "502", "503", "504",
    "PreconditionFailed",  # the object changed while we read it: the next attempt sees the new one
})
TRANSIENT_MESSAGE_FRAGMENTS = (
    "could not set lock on file",  # DuckDB: another process has the database open
    "conflicting lock",
    "ratelimitexceeded", "backenderror", "internalerror", "service unavailable",
    "temporarily unavailable", "connection reset", "connection aborted",
    "connection refused", "timed out", "deadline exceeded", "bad gateway",
)


def _exception_chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_transient_message(message: str) -> bool:
    lowered = message.lower()
    return any(fragment in lowered for fragment in TRANSIENT_MESSAGE_FRAGMENTS)


def is_transient(error: BaseException) -> bool:
    """True when `error`, or an exception it was raised from, is worth retrying."""
    for link in _exception_chain(error):
        if getattr(link, "transient", False):
            return True
        if any(cls.__name__ in TRANSIENT_EXCEPTION_NAMES for cls in type(link).__mro__):
            return True
        code = getattr(link, "response", None)
        if isinstance(code, dict) and code.get("Error", {}).get("Code") in TRANSIENT_S3_ERROR_CODES:
            return True
        if is_transient_message(str(link)):
            return True
    return False


class StepFailed(Exception):
    """A step finished but did not succeed; `transient` says whether to retry."""

    def __init__(self, message: str, transient: bool, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.details = details or {}


@dataclass
class StepResult:
    name: str
    status: str = "skipped"  # success | failed | skipped
    duration_seconds: float = 0.0
    attempts: int = 0
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def run_step(name: str, action: Callable[[], dict[str, Any]], retries: int, delay: float,
             sleep: Callable[[float], None] = time.sleep) -> StepResult:
    """Run one step, retrying transient failures with exponential backoff."""
    result = StepResult(name=name)
    started = time.monotonic()
    log.info("step %s: started", name, extra={"fields": {"step": name, "event": "started"}})
    while True:
        result.attempts += 1
        try:
            result.details = action()
            result.status, result.error = "success", None
            break
        except Exception as error:  # the step's own error is reported, not re-raised
            transient = error.transient if isinstance(error, StepFailed) else is_transient(error)
            result.status, result.error = "failed", str(error) or type(error).__name__
            if isinstance(error, StepFailed):
                result.details = error.details
            if not transient or result.attempts > retries:
                break
            wait = delay * 2 ** (result.attempts - 1)
            log.warning("step %s: transient failure (%s); retry %d of %d in %.0f s",
                        name, result.error, result.attempts, retries, wait,
                        extra={"fields": {"step": name, "event": "retry", "attempt": result.attempts}})
            sleep(wait)
    result.duration_seconds = round(time.monotonic() - started, 3)
    level = logging.INFO if result.status == "success" else logging.ERROR
    log.log(level, "step %s: %s in %.1f s%s", name, result.status, result.duration_seconds,
            f": {result.error}" if result.error else "",
            extra={"fields": {"step": name, "event": "finished", "status": result.status}})
    return result


# ---------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------


def generate_sample_data() -> dict[str, Any]:
    script = ROOT / "scripts" / "generate_sample_data.py"
    spec = importlib.util.spec_from_file_location("generate_sample_data", script)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{script} is missing: restore it from git to generate the sample data")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.generate(SAMPLE_DATA_DIR)
    return {"out_dir": str(SAMPLE_DATA_DIR), "members": written.get("members"), "events": written.get("events")}


def load_details(uri: str, summary: Any) -> dict[str, Any]:
    fields = ("objects_seen", "objects_loaded", "objects_skipped", "objects_refused",
              "rows_loaded", "rows_rejected")
    return {"source_uri": uri, **{name: getattr(summary, name, 0) for name in fields}}


def load_step(uri: str, target: str, log_format: str) -> dict[str, Any]:
    if log_format == "json":
        # The loader's progress lines on large objects are plain text; a JSON log
        # stream must hold JSON only (the step's own records say what was loaded).
        os.environ.setdefault("LOADER_PROGRESS_BYTES", str(2**62))
    # Imported here so that --help and the lock check work before the heavy imports.
    from loader import load
    from loader.errors import LoadRefused

    try:
        summary = load(uri, target=target)
    except LoadRefused as refused:
        # The other objects are loaded, but the marts must not be built on a partial
        # export: a refused file is bad data, and no retry will fix it.
        raise StepFailed(str(refused), transient=False,
                         details=load_details(uri, refused.summary)) from refused
    return load_details(uri, summary)


def yaml_text(variables: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(variables, default_flow_style=True, sort_keys=False).strip()


def dbt_args(command: list[str], args: argparse.Namespace, variables: dict[str, Any]) -> list[str]:
    argv = [
        *command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", args.target,
        "--log-format", args.log_format,
    ]
    if variables:
        # Back to YAML, which dbt parses: YAML dates and timestamps stay what they
        # would have been had the user passed --vars to dbt directly.
        argv += ["--vars", yaml_text(variables)]
    if command == ["build"]:
        if args.full_refresh:
            argv.append("--full-refresh")
        if args.select:
            argv += ["--select", args.select]
    return argv


def summarize_build(results: Any) -> dict[str, Any]:
    """Counts by resource type and status from dbt's RunExecutionResult."""
    counts = {
        "models_built": 0, "models_failed": 0, "models_skipped": 0,
        "tests_passed": 0, "tests_warned": 0, "tests_failed": 0, "tests_skipped": 0,
        "failing_tests": [], "warning_tests": [], "skipped_models": [], "errors": [],
    }
    for node_result in getattr(results, "results", None) or []:
        node = node_result.node
        kind = str(getattr(node, "resource_type", ""))
        status = str(node_result.status)
        label = getattr(node, "unique_id", getattr(node, "name", "?"))
        if kind in ("test", "unit_test"):
            if status == "pass":
                counts["tests_passed"] += 1
            elif status == "warn":
                counts["tests_warned"] += 1
                counts["warning_tests"].append(label)
            elif status == "skipped":
                counts["tests_skipped"] += 1
            else:  # fail or error
                counts["tests_failed"] += 1
                counts["failing_tests"].append(label)
                if status == "error":
                    counts["errors"].append({"node": label, "message": node_result.message})
        elif kind in ("model", "seed", "snapshot"):
            if status == "success":
                counts["models_built"] += 1
            elif status == "skipped":
                counts["models_skipped"] += 1
                counts["skipped_models"].append(label)
            else:
                counts["models_failed"] += 1
                counts["errors"].append({"node": label, "message": node_result.message})
    return counts


def dbt_build(args: argparse.Namespace, variables: dict[str, Any]) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner  # dbt is slow to import: only when needed

    outcome = dbtRunner().invoke(dbt_args(["build"], args, variables))
    details = summarize_build(outcome.result)
    if outcome.success:
        return details
    if outcome.exception is not None:
        raise StepFailed(f"dbt build could not run: {outcome.exception}",
                         transient=is_transient(outcome.exception), details=details)
    messages = [error["message"] or "" for error in details.get("errors", [])]
    # Retrying cures only a run whose every error is transient and whose tests held.
    transient = bool(messages) and not details.get("tests_failed") and all(map(is_transient_message, messages))
    failing = details.get("failing_tests") or []
    described = []
    if failing:
        described.append(f"{len(failing)} test(s) failed: {', '.join(failing)}")
    if details.get("models_failed"):
        described.append(f"{details['models_failed']} model(s) failed")
    if details.get("models_skipped"):
        described.append(f"{details['models_skipped']} model(s) skipped downstream")
    raise StepFailed("dbt build failed: " + ("; ".join(described) or "see the dbt log above"),
                     transient=transient, details=details)


def dbt_docs(args: argparse.Namespace, variables: dict[str, Any]) -> dict[str, Any]:
    from dbt.cli.main import dbtRunner

    outcome = dbtRunner().invoke(dbt_args(["docs", "generate"], args, variables))
    if not outcome.success:
        raise StepFailed(f"dbt docs generate failed: {outcome.exception or 'see the dbt log above'}",
                         transient=outcome.exception is not None and is_transient(outcome.exception))
    target_path = os.environ.get("DBT_TARGET_PATH") or "target"
    return {"docs_dir": str(DBT_PROJECT_DIR / target_path)}


# ---------------------------------------------------------------------------
# The run summary
# ---------------------------------------------------------------------------


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    partial.replace(path)  # readers never see half a file


def print_summary(summary: dict[str, Any], log_format: str) -> None:
    if log_format == "json":
        log.info("run summary", extra={"fields": {"event": "summary", "summary": summary}})
        return
    lines = [f"Run {summary['run_id']}: {summary['status']} in {summary['duration_seconds']:.1f} s"]
    for step in summary["steps"]:
        lines.append(f"  {step['name']:<20} {step['status']:<8} {step['duration_seconds']:>8.1f} s"
                     f"  attempts {step['attempts']}")
        details = step["details"]
        if "rows_loaded" in details:
            lines.append(f"      objects loaded {details['objects_loaded']} of {details['objects_seen']}, "
                         f"rows loaded {details['rows_loaded']}, rows rejected {details['rows_rejected']}")
        if "models_built" in details:
            lines.append(f"      models built {details['models_built']}, failed {details['models_failed']}, "
                         f"skipped {details['models_skipped']}; tests passed {details['tests_passed']}, "
                         f"warned {details['tests_warned']}, failed {details['tests_failed']}")
            lines += [f"      failing test: {name}" for name in details["failing_tests"]]
        if step["error"]:
            lines.append(f"      error: {step['error']}")
    lines.append(f"Summary written to {summary['summary_file']}")
    print("\n".join(lines), flush=True)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def run_pipeline(args: argparse.Namespace, variables: dict[str, Any],
                 environ: dict[str, str]) -> list[StepResult]:
    generate = needs_sample_data(args.target, environ)
    settled = configure_environment(args.target)
    planned: list[tuple[str, Callable[[], dict[str, Any]], bool]] = [
        ("generate_sample_data", generate_sample_data, generate),
        ("load", lambda: load_step(settled["MEMBERSHIP_SOURCE_URI"], args.target, args.log_format), not args.skip_load),
        ("dbt_build", lambda: dbt_build(args, variables), True),
        ("dbt_docs_generate", lambda: dbt_docs(args, variables), args.docs),
    ]
    results: list[StepResult] = []
    failed = False
    for name, action, wanted in planned:
        if not wanted:
            continue
        if failed:
            results.append(StepResult(name=name, error="not run: an earlier step failed"))
            continue
        result = run_step(name, action, args.retries, args.retry_delay)
        results.append(result)
        failed = result.status != "success"
    return results


def main(argv: list[str] | None = None) -> int:
    environ = dict(os.environ)  # as the user gave it, before we settle paths
    args = parse_args(argv)
    configure_logging(args.log_format)
    try:
        variables = dbt_vars(args)
    except ValueError as error:
        log.error("%s", error)
        return EXIT_USAGE
    started_at = dt.datetime.now(dt.timezone.utc)
    started = time.monotonic()
    try:
        with run_lock(args.lock_file):
            steps = run_pipeline(args, variables, environ)
            ok = all(step.status == "success" for step in steps)
            summary = {
                "run_id": uuid.uuid4().hex[:12],
                "status": "success" if ok else "failed",
                "exit_code": EXIT_OK if ok else EXIT_FAILED,
                "target": args.target,
                "started_at": started_at.isoformat(timespec="seconds"),
                "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "duration_seconds": round(time.monotonic() - started, 3),
                "summary_file": str(args.summary_file),
                "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "steps": [asdict(step) for step in steps],
            }
            write_summary(args.summary_file, summary)
            print_summary(summary, args.log_format)
            return summary["exit_code"]
    except LockHeld as error:
        log.error("%s", error, extra={"fields": {"event": "locked", "lock_file": str(args.lock_file)}})
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
