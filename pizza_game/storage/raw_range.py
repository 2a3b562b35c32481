"""A range of raw partitions, decoded on demand: what the raw IO manager hands a consumer.

A season's order hours are some 6,900 partitions; decoded all at once they were the peak memory
of a season run (1.26 GB, issue 14). A consumer reads the part of the range it works on, then
lets it go.
"""

from __future__ import annotations

import pandas as pd

from pizza_game.model import RawPartition, Span
from pizza_game.storage.partitioned import RawStore


class RawRange:
    """The partitions ``spans`` of one raw asset, read from ``raw`` when asked for."""

    def __init__(self, raw: RawStore, spans: list[Span]):
        self.raw = raw
        self.spans = spans

    def read(self, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, RawPartition]:
        """The stored partitions (real preferred) of the spans starting in [start, end), keyed by
        partition key in the range's order; partitions not stored are absent."""
        return self.raw.read_many([s for s in self.spans if start <= s.start < end])
