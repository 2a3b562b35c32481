"""A raw run's metadata counts and previews the rows its partitions rejected."""

from __future__ import annotations

import pandas as pd

from pizza_game.assets.raw_metadata import raw_metadata
from pizza_game.model import RawPartition
from pizza_game.partition_keys import partition_spans
from pizza_game.schema import empty_orders

SPANS = partition_spans([f"2024-10-05-{h:02d}:00" for h in range(4)])


def _batch(rejecting: dict[int, int]) -> dict[str, RawPartition]:
    """Empty hours; hour i rejects ``rejecting[i]`` rows."""
    out = {}
    for i, span in enumerate(SPANS):
        n = rejecting.get(i, 0)
        rejected = pd.DataFrame({"where": [f"f.csv line {j}" for j in range(n)], "reason": ["bad_total"] * n, "record": ["x"] * n})
        out[span.key] = RawPartition("real", empty_orders(), rejected)
    return out


def test_rejected_rows_of_a_few_hours_are_counted_and_previewed() -> None:
    metadata = raw_metadata(_batch({1: 2, 3: 1}), empty_orders(), SPANS, "ordered_at")
    assert metadata["rejected_rows"].value == 3
    assert "rejected_preview" in metadata


def test_hours_rejecting_nothing_have_no_rejected_rows() -> None:
    metadata = raw_metadata(_batch({}), empty_orders(), SPANS, "ordered_at")
    assert metadata["rejected_rows"].value == 0
    assert "rejected_preview" not in metadata
