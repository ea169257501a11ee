"""One step of `orchestrate.py` on its own, for schedulers that run each step as a task.

    python -m pipeline.step_cli STEP [orchestrate.py options]

STEP is a name from `pipeline.steps.STEPS` (`load`, `dbt_docs_generate`, ...). The
options, the environment and the vars are resolved exactly as `orchestrate.py`
resolves them, and the step is the same function, so the refusal rules hold as they
do there. The step runs once: the scheduler owns the retries, and the exit code tells
it whether one could help.

stdout gets one JSON object: the step's result as the run summary records it (name,
status, attempts, transient, error, details) plus `dbt_environment`, the resolved
settings a dbt process of this run needs (`DBT_TARGET`, `DUCKDB_PATH`,
`GA4_LOCAL_PATH` when GA4 is configured, `RAW_SCHEMA`), so that the scheduler's dbt
tasks read the same warehouse, and `dbt_vars`, the vars they need beyond the project's
(`ga4_enabled`: whether the GA4 source holds a shard, pipeline/ga4_source.py). Our log,
and the step's dbt log if it ran dbt, go to stderr.

Exit codes, as orchestrate.py's: 0 success; 1 failed for a reason a retry does not
cure; 2 bad arguments (an unknown step or var); 3 failed transiently (retry later);
130 stopped by SIGTERM or SIGINT (what Airflow sends a task it stops): the step's
children are stopped, and the JSON object still comes, with status `interrupted`.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from membership_elt.exit_codes import ExitCode
from pipeline.cli import configure_logging, exit_code, parse_args, run_options, run_vars
from pipeline.dbt_vars import BadVars, project_vars
from pipeline.ga4_source import ga4_status
from pipeline.runner import StepResult, run_step
from pipeline.settings import DBT_PROJECT_DIR, Settings, resolve
from pipeline.steps import STEPS
from pipeline.stopping import Interrupted, stop_signals_raise

log = logging.getLogger("orchestrate")

DBT_ENVIRONMENT_KEYS = ("DBT_TARGET", "DUCKDB_PATH", "GA4_LOCAL_PATH", "RAW_SCHEMA")


def run_one(name: str, settings: Settings) -> StepResult:
    """The named step, once (no step-level retry), classified as orchestrate.py does."""
    actions = {step_name: action for step_name, action, _wanted in STEPS}
    return run_step(name, lambda: actions[name](settings), retries=0, delay=0.0)


def _print_step_logs(log_dir: Path) -> None:
    for path in sorted(log_dir.glob("*.log")):
        sys.stderr.write(f"--- {path.name} ---\n{path.read_text(encoding='utf-8', errors='replace')}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    known = [step_name for step_name, _action, _wanted in STEPS]
    if not argv or argv[0] not in known:
        given = repr(argv[0]) if argv else "nothing"
        print(f"step_cli: the first argument must name a step, one of {', '.join(known)}; "
              f"got {given}. Example: python -m pipeline.step_cli load", file=sys.stderr)
        return ExitCode.USAGE
    name, rest = argv[0], argv[1:]
    args = parse_args(rest)
    configure_logging(args.log_format)
    with tempfile.TemporaryDirectory(prefix=f"step-{name}-") as scratch:
        # A lone step writes no run summary; its dbt log (if any) goes to stderr below,
        # which is where a scheduler's task log is.
        options = {**run_options(args), "summary_file": Path(scratch) / "step.json"}
        try:
            declared, rules = project_vars(DBT_PROJECT_DIR)
            settings = resolve(args.target, run_vars(args, declared, rules), declared, **options)
        except BadVars as error:
            log.error("%s", error)
            return ExitCode.USAGE
        with stop_signals_raise() as stops:
            try:
                result = run_one(name, settings)
                stops.disarm()  # the result is printed whatever arrives now
            except Interrupted as stop:  # before the step started
                stops.disarm()
                result = StepResult(name=name, status="interrupted", error=str(stop))
            _print_step_logs(settings.log_dir)
            environment = settings.dbt_environment()
            record = {**asdict(result),
                      "dbt_environment": {key: environment[key] for key in DBT_ENVIRONMENT_KEYS
                                          if key in environment},
                      "dbt_vars": {"ga4_enabled": ga4_status(settings).configured}}
            print(json.dumps(record, default=str, ensure_ascii=False), flush=True)
    return exit_code([result])


if __name__ == "__main__":
    sys.exit(main())
