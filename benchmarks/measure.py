"""Run one command as a child process and measure its wall time and peak memory.

Every figure in the benchmarks comes from a separate process, so the numbers include
interpreter start-up and imports (what a scheduler pays) and the benchmark runner's
own memory never counts.
"""

from __future__ import annotations

import resource
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
    # User + system CPU of the command and every descendant it waited for: on a
    # shared machine it moves far less with other users' load than the wall time.
    cpu_seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "wall_seconds": round(self.wall_seconds, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "cpu_seconds": round(self.cpu_seconds, 3),
        }


class CommandFailed(RuntimeError):
    pass


def _high_water_mark(pid: int) -> int:
    """The process's own peak RSS so far (VmHWM), in bytes; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _sample(process: psutil.Process, high_water: dict[int, int]) -> int:
    """Current RSS summed over the process tree; updates each member's VmHWM."""
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
        high_water[member.pid] = max(high_water.get(member.pid, 0), _high_water_mark(member.pid))
    return total


def _children_cpu() -> float:
    """CPU seconds of this process's reaped descendants so far (each child's total
    includes the descendants it reaped), so the difference across one child's wait is
    that child's tree, as long as no other child is reaped meanwhile."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(
    command: list[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout_seconds: float = 3600.0,
    check: bool = True,
) -> Measurement:
    """Run `command`; return its wall time and the peak RSS of it and its children.

    The peak is the larger of two readings taken every 50 ms: the RSS summed over
    the process tree (memory spread over child processes, such as dbt's or a
    loader's helpers), and the largest single process's VmHWM, the kernel's own
    high-water mark, which also catches a spike between two samples. (ru_maxrss from
    wait4 is not used: on Linux a child inherits the parent's high-water mark across
    fork, so it would report the benchmark runner's memory, not the child's.)
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        cpu_before = _children_cpu()
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd
        )
        peak_tree = 0
        high_water: dict[int, int] = {}
        done = threading.Event()

        def poll() -> None:
            nonlocal peak_tree
            try:
                process = psutil.Process(child.pid)
            except psutil.Error:
                return
            while not done.is_set():
                peak_tree = max(peak_tree, _sample(process, high_water))
                done.wait(POLL_SECONDS)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            child.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        done.set()
        poller.join()
    measurement = Measurement(
        command=command,
        wall_seconds=wall,
        peak_rss_mb=max([peak_tree, *high_water.values()]) / 2**20,
        returncode=child.returncode,
        log_path=str(log_path),
        cpu_seconds=cpu,
    )
    if check and measurement.returncode != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise CommandFailed(
            f"{' '.join(command)} exited with status {measurement.returncode} "
            f"after {wall:.1f}s; the end of its output ({log_path}) was:\n{tail}"
        )
    return measurement
