"""Stopping a run: SIGTERM or SIGINT becomes an exception, and no child outlives us.

Standard library only: pipeline/airflow_support.py, which Airflow's own interpreter
imports, uses it too.

- `stop_signals_raise()`: while it is active, the first SIGTERM or SIGINT raises
  `Interrupted` in the main thread (a blocking read of a child's output returns at
  once to raise it). Later ones are ignored, so that the stop itself, which is
  bounded, is not cut short halfway, and so is any once the work is done and only
  its results are being written.
- `die_with_parent(signum)`: a `preexec_fn` that asks Linux to send the child
  `signum` when its parent dies, however it dies (SIGKILL included), so that a
  child never outlives the run that started it. Elsewhere it does nothing.
- `stop_child(process, ...)`: the bounded stop of one child: a signal it can clean up
  after, then SIGKILL once the grace period is over.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# How long a child gets to stop after our signal before SIGKILL. Airflow waits 60 s
# (killed_task_cleanup_time), systemd 90 s and Kubernetes 30 s before their own SIGKILL.
STOP_GRACE_SECONDS = 15.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, like KeyboardInterrupt, so that the
    code that turns a step's errors into a failed step lets it through."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")


class StopSignals:
    """What `stop_signals_raise` received; `disarm()` once the work is done, so that a
    late signal no longer interrupts the writing of its results."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.armed = True

    def disarm(self) -> None:
        self.armed = False


@contextmanager
def stop_signals_raise() -> Iterator[StopSignals]:
    """Within the block, the first SIGTERM or SIGINT raises Interrupted; later ones are ignored."""
    state = StopSignals()

    def handler(signum: int, _frame: FrameType | None) -> None:
        state.received.append(signal.Signals(signum).name)
        if state.armed and len(state.received) == 1:
            raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield state
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[..., int] = libc.prctl
    return prctl


_PRCTL = _prctl()  # looked up here: after fork, the child should do as little as it can


def die_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A preexec_fn making the child receive `signum` when the parent dies (Linux).

    The kernel sends it when the thread that forked the child exits, so start
    children from a thread that lives as long as the run (ours: the main thread).
    None where prctl does not exist: the child then only stops when we stop it.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signum)

    return arm


def interruptible_child_dying_with_parent() -> Callable[[], None]:
    """A preexec_fn for a child we stop with SIGINT (dbt, whose Ctrl-C cancels its
    queries): SIGINT back to its default, and die_with_parent's SIGKILL.

    A process started in the background by a non-interactive shell (`cmd &` in a
    script) ignores SIGINT, and its children inherit that; Python then installs no
    KeyboardInterrupt handler, so our SIGINT would leave dbt running to its end."""
    arm = die_with_parent()

    def prepare() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if arm is not None:
            arm()

    return prepare


def stop_child(process: subprocess.Popen[str], signum: int = signal.SIGTERM,
               grace: float = STOP_GRACE_SECONDS) -> tuple[str, str]:
    """Send `signum`, give the child `grace` seconds, then SIGKILL it; return what
    it still wrote on its pipes (read so that it never blocks on a full pipe)."""
    if process.poll() is None:
        try:
            process.send_signal(signum)
        except ProcessLookupError:
            pass
    try:
        out, err = process.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    except ValueError:  # its pipes were read to the end and closed already
        process.wait()
        out, err = "", ""
    return out or "", err or ""
