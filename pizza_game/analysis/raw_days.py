"""From raw partitions to merged days, a few weeks at a time (the work of merged_dataset).

Day D reads the order hours of D-1, D and D+1 (match windows cross midnight). A range of days is
merged in chunks of ``DAYS_PER_CHUNK``, each from the raw partitions it reaches, so that a season
never has all its order hours decoded at once (issue 14: that was the peak memory of a season
run). Every day is merged exactly as if the whole range had been read: the chunk's orders are
stacked in partition order and sorted stably, which keeps the rows of a day in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pandas as pd

from pizza_game.analysis.merge import SortedOrders, merge_sorted
from pizza_game.analysis.windows import WindowConfig
from pizza_game.model import MergedDay, RawPartition, Span, to_ns
from pizza_game.partition_keys import DAY, partition_spans
from pizza_game.schema import empty_matches, empty_orders

# Four weeks: a chunk also reads the order hours of the day on either side, 2 days in 30 more.
DAYS_PER_CHUNK = 28


def day_chunks(days: list[Span], size: int = DAYS_PER_CHUNK) -> Iterator[list[Span]]:
    for first in range(0, len(days), size):
        yield days[first : first + size]


def order_reach(days: list[Span]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the order hours that the (consecutive) ``days`` read."""
    return days[0].start - DAY, days[-1].end + DAY


def has_matches(raw_matches: dict[str, RawPartition], key: str) -> bool:
    """Whether the day's matches are known (stored, and not a placeholder for a failed collection)."""
    return key in raw_matches and not raw_matches[key].missing


def merge_days(
    days: list[Span],
    raw_orders: dict[str, RawPartition],
    raw_matches: dict[str, RawPartition],
    windows: WindowConfig,
) -> Iterator[MergedDay]:
    """Each of ``days`` merged from the order hours ``raw_orders`` (all those the days reach) and
    its matches in ``raw_matches`` (none when unknown), with the rows rejected on input in the
    day's own raw partitions, by reason (coverage "rejected")."""
    orders, hours = orders_and_hours(raw_orders)
    rejected_orders = rejected_orders_by_day(raw_orders)
    # Sorted once for the range; each day takes its slice (a merge sorts and numbers its orders).
    sorted_orders = SortedOrders.of(orders)
    hours_ns = np.unique(to_ns(pd.Series(hours))) if len(hours) else np.array([], dtype="int64")
    for day in days:
        start, end = (day.start - DAY).value, (day.end + DAY).value
        near_hours = hours_ns[np.searchsorted(hours_ns, start) : np.searchsorted(hours_ns, end)]
        known = has_matches(raw_matches, day.key)
        matches = raw_matches[day.key].rows if known else empty_matches()
        merged = merge_sorted(day.start, sorted_orders.between(start, end), matches, near_hours, windows)
        merged.coverage["rejected"] = {
            "raw_orders": dict(sorted(rejected_orders.get(day.key, Counter()).items())),
            "raw_matches": rejected_by_reason(raw_matches[day.key]) if known else {},
        }
        yield merged


def orders_and_hours(raw_orders: dict[str, RawPartition]) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """The orders of the partitions in partition order (``SortedOrders.of`` sorts them, stably),
    and the starts of the hours with data."""
    parts = [p.rows for p in raw_orders.values() if len(p.rows)]
    orders = pd.concat(parts, ignore_index=True) if parts else empty_orders()
    # A partition marked missing holds no knowledge of its hour: it is not an hour with data.
    starts = [s.start for s in partition_spans([k for k, p in raw_orders.items() if not p.missing])]
    return orders, pd.DatetimeIndex(sorted(starts)).tz_convert("UTC") if starts else pd.DatetimeIndex([], tz="UTC")


def rejected_by_reason(part: RawPartition) -> dict[str, int]:
    return dict(sorted(Counter(part.rejected["reason"].astype(str)).items()))


def rejected_orders_by_day(raw_orders: dict[str, RawPartition]) -> dict[str, Counter]:
    """Rejected order rows by reason, per UTC day of their hour partition. A merged day records
    those of its own 24 hours only (not the D-1 and D+1 hours it reads), so that summing days
    counts each rejected row once."""
    out: dict[str, Counter] = {}
    rejecting = [k for k, p in raw_orders.items() if len(p.rejected)]
    for span in partition_spans(rejecting):
        out.setdefault(f"{span.start:%Y-%m-%d}", Counter()).update(rejected_by_reason(raw_orders[span.key]))
    return out
