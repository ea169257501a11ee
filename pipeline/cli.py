"""The command line of `python orchestrate.py`, and its exit codes.

    python orchestrate.py [--target duckdb|bigquery] [--full-refresh] [--skip-load]
                          [--select SELECTOR] [--start-date D] [--end-date D]
                          [--vars YAML] [--docs] [--log-format text|json]
                          [--report [--report-path PATH]]
    python orchestrate.py show MART [--csv FILE] [--target ...]
    python orchestrate.py report [--report-path PATH] [--target ...]

Exit codes: membership_elt/exit_codes.py (docs/operations.md lists them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from membership_elt.exit_codes import ExitCode, describe
from membership_elt.targets import add_target_option
from pipeline.dbt_vars import BadVars, checked_vars, parse_vars, project_vars
from pipeline.lock import LockHeld, run_lock
from pipeline.runner import run_pipeline
from pipeline.settings import (
    DBT_PROJECT_DIR,
    DEFAULT_LOCK_FILE,
    DEFAULT_REPORT_PATH,
    DEFAULT_SUMMARY_FILE,
    Settings,
    resolve,
)
from pipeline.steps import STEPS
from pipeline.stopping import Interrupted, StopSignals, stop_signals_raise
from pipeline.summary import print_summary, write_summary

log = logging.getLogger("orchestrate")


def iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def _common(parser: argparse.ArgumentParser) -> None:
    add_target_option(parser)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="orchestrate.py",
        description="Load the membership export, then dbt build the KPI marts. "
                    "`orchestrate.py show MART` prints a mart.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "environment: MEMBERSHIP_SOURCE_URI (default sample_data/membership/*.csv), "
            "DUCKDB_PATH,\n  GA4_LOCAL_PATH, RAW_SCHEMA, DBT_TARGET, and the warehouse and cloud "
            "variables listed in docs/configuration.md.\n"
            "exit codes:\n" + describe()
        ),
    )
    _common(parser)
    parser.add_argument("--full-refresh", action="store_true",
                        help="rebuild incremental models from scratch (dbt --full-refresh)")
    parser.add_argument("--skip-load", action="store_true", help="skip the load step")
    parser.add_argument("--unit-tests", action="store_true",
                        help="also run dbt's unit tests (left out by default: they test the SQL, "
                             "not the data, and run in `make test` and CI)")
    parser.add_argument("--select", metavar="SELECTOR", help="dbt node selection, e.g. 'fct_kpis_weekly+'")
    parser.add_argument("--start-date", type=iso_date, help="GA4 backfill from this date (dbt var start_date)")
    parser.add_argument("--end-date", type=iso_date, help="GA4 backfill up to this date (dbt var end_date)")
    parser.add_argument("--vars", metavar="YAML",
                        help="dbt vars as a YAML mapping; only vars dbt_project.yml declares")
    parser.add_argument("--docs", action="store_true", help="also run dbt docs generate")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--retries", type=int, default=2, metavar="N",
                        help="retries of a step after a transient failure (default 2)")
    parser.add_argument("--retry-delay", type=float, default=10.0, metavar="SECONDS",
                        help="first backoff delay, doubled after each retry (default 10)")
    parser.add_argument("--lock-file", type=Path, default=DEFAULT_LOCK_FILE,
                        help="lock held for the whole run (default target/orchestrate.lock)")
    parser.add_argument("--report", action="store_true",
                        help="after a successful build, write the KPI report page (see --report-path)")
    parser.add_argument("--report-path", type=Path, default=DEFAULT_REPORT_PATH, metavar="PATH",
                        help="where --report writes the page (default target/report/index.html)")
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


def run_vars(args: argparse.Namespace, declared: dict[str, Any],
             rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """--vars merged with --start-date / --end-date (the flags win), every value
    checked against what dbt_project.yml declares."""
    given = parse_vars(args.vars, rules)
    if args.start_date:
        given["start_date"] = args.start_date
    if args.end_date:
        given["end_date"] = args.end_date
    return checked_vars(given, declared, rules)


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The Settings fields the command line sets directly."""
    names = ("full_refresh", "skip_load", "unit_tests", "select", "docs", "log_format", "retries", "retry_delay",
             "lock_file", "summary_file", "report", "report_path")
    return {name: getattr(args, name) for name in names}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
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
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        # One line per step for a person: the summary tells how each one ended.
        handler.addFilter(lambda record: getattr(record, "fields", {}).get("status") != "success")
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


def exit_code(steps: list[Any]) -> ExitCode:
    if any(step.status == "interrupted" for step in steps):
        return ExitCode.INTERRUPTED
    failed = [step for step in steps if step.status == "failed"]
    if not failed:
        return ExitCode.OK
    return ExitCode.TRANSIENT if all(step.transient for step in failed) else ExitCode.FAILED


def run_status(code: ExitCode) -> str:
    return {ExitCode.OK: "success", ExitCode.INTERRUPTED: "interrupted"}.get(code, "failed")


def run(settings: Settings, stops: StopSignals) -> int:
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    steps = run_pipeline(settings, STEPS)
    stops.disarm()  # the summary is written whatever arrives now
    code = exit_code(steps)
    # Whether GA4 was there is known once dbt_build looked (the sample data may be
    # generated by the run itself); its var is what dbt got.
    ga4 = next((step.details.get("ga4") for step in steps if step.name == "dbt_build" and step.details), None)
    used_vars = {**settings.effective_vars, **({"ga4_enabled": ga4["configured"]} if ga4 else {})}
    summary = {
        "run_id": settings.run_id,
        "status": run_status(code),
        "exit_code": code,
        "target": settings.target,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - started, 3),
        "summary_file": str(settings.summary_file),
        "vars": used_vars,
        "vars_given": settings.vars,
        "arguments": {"select": settings.select, "full_refresh": settings.full_refresh,
                      "skip_load": settings.skip_load, "docs": settings.docs,
                      "log_format": settings.log_format, "retries": settings.retries,
                      "report": settings.report},
        "steps": [asdict(step) for step in steps],
    }
    if stops.received:
        summary["stop_signals"] = stops.received
    write_summary(settings.summary_file, summary)
    print_summary(summary, settings.log_format)
    return code


def show_main(argv: list[str]) -> int:
    from pipeline.show import add_arguments, show

    parser = argparse.ArgumentParser(prog="orchestrate.py show", description="Print a whole mart, in order.")
    _common(parser)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return show(resolve(args.target, {}, {}), args.mart, args.csv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["show"]:
        return show_main(argv[1:])
    if argv[:1] == ["report"]:
        from pipeline.report.cli import report_main

        return report_main(argv[1:])
    args = parse_args(argv)
    configure_logging(args.log_format)
    try:
        # Before the lock and the load: a wrong value never reaches a model.
        declared, rules = project_vars(DBT_PROJECT_DIR)
        settings = resolve(args.target, run_vars(args, declared, rules), declared, **run_options(args))
    except BadVars as error:
        log.error("%s", error)
        return ExitCode.USAGE
    try:
        with stop_signals_raise() as stops, run_lock(settings.lock_file):
            return run(settings, stops)
    except LockHeld as error:
        log.error("%s", error, extra={"fields": {"event": "locked", "lock_file": str(settings.lock_file)}})
        return ExitCode.LOCKED
    except Interrupted as stop:  # before the first step: nothing was done, no summary is written
        log.warning("the run was %s before its first step; nothing was done", stop,
                    extra={"fields": {"event": "interrupted"}})
        return ExitCode.INTERRUPTED
