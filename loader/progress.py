"""Progress lines on stderr for objects large enough to make a user wonder."""

from __future__ import annotations

import os
import sys
import time

# Below this size an object loads in a second or two; printing progress would be noise.
DEFAULT_THRESHOLD_BYTES = 64 * 1024 * 1024
_INTERVAL_SECONDS = 2.0


def _threshold() -> int:
    value = os.environ.get("LOADER_PROGRESS_BYTES")
    return int(value) if value else DEFAULT_THRESHOLD_BYTES


class Progress:
    """Reports `step` of `name` every couple of seconds, only for large objects."""

    def __init__(self, name: str, total_bytes: int) -> None:
        self.name = name
        self.total = total_bytes
        self.enabled = total_bytes >= _threshold()
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
