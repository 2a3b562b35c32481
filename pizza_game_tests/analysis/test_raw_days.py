"""Merging a range of days a few at a time, each chunk from only the raw hours it reaches, gives
exactly the days that merging the whole range from every hour gives (merged_dataset relies on it)."""

import pandas as pd
import pytest

from pizza_game.analysis.raw_days import day_chunks, has_matches, merge_days, order_reach
from pizza_game.analysis.windows import WindowConfig
from pizza_game.model import MergedDay, RawPartition, split_by_span
from pizza_game.partition_keys import partition_spans
from pizza_game_tests.analysis.synthetic import make_matches, make_orders

DAYS = partition_spans([f"{d:%Y-%m-%d}" for d in pd.date_range("2023-08-07", "2023-08-20", freq="D")])
HOURS = partition_spans([f"{h:%Y-%m-%d-%H:%M}" for h in pd.date_range("2023-08-06", "2023-08-22", freq="h", inclusive="left")])
NO_MATCHES_DAY = "2023-08-12"


@pytest.fixture(scope="module")
def raw() -> tuple[dict[str, RawPartition], dict[str, RawPartition]]:
    matches = make_matches("2023-08-07", 2, seed=7)
    orders = make_orders("2023-08-07", 2, seed=7, matches=matches, per_day=400, real_share=0.5)
    raw_orders = {key: RawPartition("mock", rows) for key, rows in split_by_span(orders, "ordered_at", HOURS).items()}
    raw_orders["2023-08-09-23:00"] = RawPartition.missing_partition("mock", orders.iloc[:0])
    raw_orders["2023-08-10-00:00"].rejected = pd.DataFrame({"reason": ["bad_total", "bad_total", "no_region"]})
    by_day = split_by_span(matches, "kickoff_at", DAYS)
    raw_matches = {key: RawPartition("mock", rows) for key, rows in by_day.items() if key != NO_MATCHES_DAY}
    return raw_orders, raw_matches


def _chunked(raw_orders, raw_matches, size) -> list[MergedDay]:
    out: list[MergedDay] = []
    for chunk in day_chunks(DAYS, size):
        start, end = order_reach(chunk)
        hours = {w.key: raw_orders[w.key] for w in HOURS if start <= w.start < end and w.key in raw_orders}
        out.extend(merge_days(chunk, hours, {d.key: raw_matches[d.key] for d in chunk if d.key in raw_matches}, WindowConfig()))
    return out


def test_chunks_of_days_merge_as_the_whole_range(raw) -> None:
    raw_orders, raw_matches = raw
    whole = list(merge_days(DAYS, raw_orders, raw_matches, WindowConfig()))
    chunked = _chunked(raw_orders, raw_matches, size=3)
    assert [d.day for d in chunked] == [d.start for d in DAYS]
    assert sum(len(d.windows) for d in whole) > 0
    for a, b in zip(chunked, whole, strict=True):
        for name in ("series", "windows", "matches"):
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
        assert a.coverage == b.coverage


def test_rejected_rows_and_missing_matches_belong_to_their_day(raw) -> None:
    raw_orders, raw_matches = raw
    days = {f"{d.day:%Y-%m-%d}": d for d in _chunked(raw_orders, raw_matches, size=3)}
    # The rejected rows' hour is read by 2023-08-09, -10 and -11; only its own day counts them.
    assert [days[k].coverage["rejected"]["raw_orders"] for k in ("2023-08-09", "2023-08-10", "2023-08-11")] == [
        {},
        {"bad_total": 2, "no_region": 1},
        {},
    ]
    assert days["2023-08-09"].coverage["hours_missing"] == ["2023-08-09T23:00:00+00:00"]
    assert not has_matches(raw_matches, NO_MATCHES_DAY) and days[NO_MATCHES_DAY].coverage["matches"] == 0
