"""Random streams for the mock generators: one independent stream per (seed, purpose, unit).

Streams are keyed by what they generate (a season's fixtures, one UTC day's orders), never by call
order. That is what makes any sub-range of mock data equal to the same rows of a larger range, so
hourly partitions generated one at a time agree with a backfill generated in one go.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, purpose: str, *unit: int) -> np.random.Generator:
    """The generator for ``purpose`` (e.g. "orders") and ``unit`` (e.g. the day as YYYYMMDD)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"mock seed must be a non-negative integer, not {seed!r}")
    if any(isinstance(u, bool) or not isinstance(u, (int, np.integer)) or u < 0 for u in unit):
        raise ValueError(f"stream units must be non-negative integers, not {unit!r}")
    return np.random.default_rng([int(seed), zlib.crc32(purpose.encode()), *map(int, unit)])
