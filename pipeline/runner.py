"""Runs the steps in order, retrying a step that failed transiently.

This is the step level of the retry policy in loader/transient.py: it takes over once
the calls inside a step have used their own retries.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loader.transient import is_transient
from pipeline.settings import Settings
from pipeline.stopping import Interrupted

log = logging.getLogger("orchestrate")


class StepFailed(Exception):
    """A step finished but did not succeed; `transient` says whether a retry could help."""

    def __init__(self, message: str, transient: bool, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.details = details or {}


@dataclass
class StepResult:
    name: str
    status: str = "skipped"  # success | failed | interrupted | skipped
    duration_seconds: float = 0.0
    attempts: int = 0
    transient: bool = False  # for a failed step: the last failure was transient
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def run_step(name: str, action: Callable[[], dict[str, Any]], retries: int, delay: float,
             sleep: Callable[[float], None] = time.sleep) -> StepResult:
    """Run one step, retrying transient failures with exponential backoff.

    A stop signal (Interrupted) ends the step as `interrupted`, whatever attempt or
    backoff it was in; the step's own code has stopped its children on the way out.
    """
    result = StepResult(name=name)
    started = time.monotonic()
    log.info("%s: started", name, extra={"fields": {"step": name, "event": "started"}})
    while True:
        result.attempts += 1
        try:
            result.details = action()
            result.status, result.error, result.transient = "success", None, False
            break
        except Interrupted as stop:
            result.status, result.error, result.transient = "interrupted", str(stop), False
            break
        except Exception as error:  # the step's own error is reported, not re-raised
            result.transient = error.transient if isinstance(error, StepFailed) else is_transient(error)
            result.status, result.error = "failed", str(error) or type(error).__name__
            if isinstance(error, StepFailed):
                result.details = error.details
            if not result.transient or result.attempts > retries:
                break
            wait = delay * 2 ** (result.attempts - 1)
            log.warning("%s: transient failure (%s); retry %d of %d in %.0f s",
                        name, result.error.splitlines()[0], result.attempts, retries, wait,
                        extra={"fields": {"step": name, "event": "retry", "attempt": result.attempts}})
            try:
                sleep(wait)
            except Interrupted as stop:
                result.status, result.error, result.transient = "interrupted", str(stop), False
                break
    result.duration_seconds = round(time.monotonic() - started, 3)
    level = {"success": logging.INFO, "interrupted": logging.WARNING}.get(result.status, logging.ERROR)
    attempts = f" after {result.attempts} attempts" if result.attempts > 1 else ""
    log.log(level, "%s: %s in %.1f s%s", name, result.status, result.duration_seconds, attempts,
            extra={"fields": {"step": name, "event": "finished", "status": result.status,
                              "attempts": result.attempts}})
    return result


Step = tuple[str, Callable[[Settings], dict[str, Any]], Callable[[Settings], bool]]


def run_pipeline(settings: Settings, steps: list[Step]) -> list[StepResult]:
    """Every wanted step in order; after a failure or a stop the rest are recorded as not run."""
    results: list[StepResult] = []
    not_run: str | None = None
    for name, action, wanted in steps:
        if not wanted(settings):
            continue
        if not_run:
            results.append(StepResult(name=name, error=not_run))
            continue
        try:
            result = run_step(name, functools.partial(action, settings), settings.retries, settings.retry_delay)
        except Interrupted as stop:  # between two steps: this one never started
            results.append(StepResult(name=name, error=f"not run: the run was {stop}"))
            not_run = f"not run: the run was {stop}"
            continue
        results.append(result)
        if result.status == "interrupted":
            not_run = f"not run: the run was {result.error}"
        elif result.status != "success":
            not_run = "not run: an earlier step failed"
    return results
