"""Progress lines on stderr for objects large enough to make a user wonder."""

from __future__ import annotations

import sys
import time

_INTERVAL_SECONDS = 2.0


class Progress:
    """Reports `step` of `name` every couple of seconds, for objects of `threshold` bytes or more.

    A threshold of None turns progress off (a caller whose stream must stay JSON).
    """

    def __init__(self, name: str, total_bytes: int, threshold: int | None) -> None:
        self.name = name
        self.total = total_bytes
        self.enabled = threshold is not None and total_bytes >= threshold
        self._last = 0.0

    def phase(self, text: str) -> None:
        if self.enabled:
            print(f"loader: {self.name}: {text}", file=sys.stderr, flush=True)

    def bytes_done(self, step: str, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < _INTERVAL_SECONDS and done < self.total:
            return
        self._last = now
        share = 100.0 * done / self.total if self.total else 100.0
        print(
            f"loader: {self.name}: {step} {done / 1e6:,.1f} of {self.total / 1e6:,.1f} MB ({share:.0f}%)",
            file=sys.stderr,
            flush=True,
        )
