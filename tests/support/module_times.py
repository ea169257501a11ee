"""Where `make test`'s time goes: wall and CPU seconds per test module.

Set MODULE_TIMES to a file path and each pytest process (each xdist worker) writes
one JSON line per module it ran: its wall seconds from its first test's setup to its
last test's teardown, and the CPU seconds of the process and of the children it
waited for in that time (dbt, orchestrate.py, the emulator). CPU is what two cores
share, so it says which modules to make cheaper even on a busy machine, where wall
times mostly measure the neighbours. `python -m tests.support.module_times FILE`
prints the table, costliest module first.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_totals: dict[str, dict[str, float]] = {}


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    wall, cpu = time.monotonic(), _cpu()
    yield
    module = _totals.setdefault(item.nodeid.split("::")[0], {"wall_s": 0.0, "cpu_s": 0.0, "tests": 0})
    module["wall_s"] += time.monotonic() - wall
    module["cpu_s"] += _cpu() - cpu
    module["tests"] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("MODULE_TIMES")
    if not target or not _totals:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with Path(target).open("a", encoding="utf-8") as out:
        for module, figures in _totals.items():
            out.write(json.dumps({"module": module, "worker": worker,
                                  **{k: round(v, 1) for k, v in figures.items()}}) + "\n")


def main(path: str) -> None:
    rows: list[dict[str, Any]] = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    rows.sort(key=lambda row: -row["cpu_s"])
    print(f"{'module':60} {'tests':>5} {'wall s':>8} {'cpu s':>8}  worker")
    for row in rows:
        print(f"{row['module']:60} {row['tests']:>5} {row['wall_s']:>8.1f} {row['cpu_s']:>8.1f}  {row['worker']}")
    print(f"{'total':60} {sum(r['tests'] for r in rows):>5} {sum(r['wall_s'] for r in rows):>8.1f} "
          f"{sum(r['cpu_s'] for r in rows):>8.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
