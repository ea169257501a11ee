"""One run at a time: an exclusive flock held for the whole run."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class LockHeld(Exception):
    """Another run holds the lock file."""


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` for the whole run.

    The kernel releases a flock when its holder exits, however it dies, so a lock
    file left behind by a killed run is stale by construction and never blocks: the
    next run takes the lock and overwrites the pid in it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # No truncation before we own it; held open for the run, so not a `with`.
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115
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
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()}, started {started}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the flock
