"""The exit codes of every command of the project, one meaning per code.

`python -m loader`, `python orchestrate.py` (and its `show` / `report` commands) and
`python -m pipeline.step_cli` (the Airflow steps) all return these; the Airflow DAG
decides from them whether a task is retried. docs/operations.md lists them.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    TRANSIENT = 3
    LOCKED = 75  # sysexits' EX_TEMPFAIL
    INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "everything asked for was done",
    ExitCode.FAILED: "a lasting failure (a refused file, a failed model, an object not loaded): "
                     "fix the cause, running again as is fails the same way",
    ExitCode.USAGE: "bad arguments or settings (an unknown or invalid var, a wrong target): nothing ran",
    ExitCode.TRANSIENT: "only transient failures (network, throttling, a warehouse that did not "
                        "answer), after the retries: run again later, nothing is lost",
    ExitCode.LOCKED: "another run holds the lock: nothing ran, wait for it",
    ExitCode.INTERRUPTED: "stopped by SIGTERM or SIGINT, children stopped: running again finishes the job",
}

RETRY_LATER = frozenset({ExitCode.TRANSIENT, ExitCode.INTERRUPTED})
"""The codes after which running the same command again is expected to succeed."""


def describe(codes: tuple[ExitCode, ...] = tuple(ExitCode)) -> str:
    """`codes` with their meanings, one line each, for --help texts and docs."""
    return "\n".join(f"  {int(code):>3}  {MEANINGS[code]}" for code in codes)
