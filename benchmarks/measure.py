"""Run one command as a child process and measure its wall time and peak memory.

Every figure in the benchmarks comes from a separate process, so the numbers include
interpreter start-up and imports (what a scheduler pays) and the benchmark runner's
own memory never counts.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.05


@dataclass
class Measurement:
    command: list[str]
    wall_seconds: float
    peak_rss_mb: float
    returncode: int
    log_path: str

    def as_dict(self) -> dict[str, object]:
        return {
            "wall_seconds": round(self.wall_seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
        }


class CommandFailed(RuntimeError):
    pass


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            # A child that just exited: its memory is already gone.
            continue
    return total


def run_measured(
    command: list[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout_seconds: float = 3600.0,
    check: bool = True,
) -> Measurement:
    """Run `command`; return its wall time and the peak RSS of it and its children.

    The peak is the larger of two readings: the sum over the process tree sampled
    every 50 ms (catches memory spread over child processes, such as dbt threads or a
    loader that forks), and the kernel's exact ru_maxrss for the direct child (catches
    a spike shorter than the sampling interval).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )
        peak_tree = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal peak_tree
            try:
                process = psutil.Process(child.pid)
            except psutil.Error:
                return
            while not done.is_set():
                peak_tree = max(peak_tree, _tree_rss(process))
                done.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        deadline = started + timeout_seconds
        rusage = None
        status = 0
        while True:
            pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                _, status, rusage = os.wait4(child.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
        done.set()
        poller.join()
    # Popen must not try to reap the child a second time.
    child.returncode = os.waitstatus_to_exitcode(status)
    max_rss_bytes = rusage.ru_maxrss * 1024 if rusage else 0
    measurement = Measurement(
        command=command,
        wall_seconds=wall,
        peak_rss_mb=max(peak_tree, max_rss_bytes) / 2**20,
        returncode=child.returncode,
        log_path=str(log_path),
    )
    if check and measurement.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise CommandFailed(
            f"{' '.join(command)} exited with status {measurement.returncode} "
            f"after {wall:.1f}s; the end of its output ({log_path}) was:\n{tail}"
        )
    return measurement
