"""Where every random number comes from: one stream per (seed, purpose, key).

A day's data never depends on how many days are generated because each draw comes
from a stream keyed by its own day (or snapshot), never from one shared generator.
"""

from __future__ import annotations

import numpy as np

# One stream per purpose, so adding a purpose never shifts another.
STREAM_ARRIVALS = 1
STREAM_DUPLICATES = 2
STREAM_MESSY = 3
STREAM_CONSENT = 4


def stream(seed: int, purpose: int, key: int) -> np.random.Generator:
    """An independent random stream for (seed, purpose, key), whatever else is drawn."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(purpose, key))))


def hash_uniform(keys: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers from uint64 keys (splitmix64), for per-page details.

    Page-level details are derived from a session's seed instead of drawn, so they can
    be computed day by day without storing them.
    """
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
