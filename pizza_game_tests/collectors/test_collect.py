"""Where each raw partition comes from: API, import, generator, or marked missing."""

import pandas as pd
import pytest

from pizza_game.collectors.collect import NoDataError, fill_partitions
from pizza_game.model import RawPartition, Span
from pizza_game.schema import empty_orders

HOURS = [
    Span(f"2024-05-04-{h:02d}:00", pd.Timestamp(f"2024-05-04T{h:02d}:00Z"), pd.Timestamp(f"2024-05-04T{h:02d}:00Z") + pd.Timedelta("1h"))
    for h in range(6)
]


def _generate(calls):
    def generate(windows, reason):
        calls.append([w.key for w in windows])
        return {w.key: RawPartition("mock", empty_orders(), notes={"reason": reason}) for w in windows}

    return generate


def _fill(collected=None, imported=None, fallback=True, calls=None):
    return fill_partitions(
        HOURS,
        collected=collected or {},
        imported=imported or {},
        generate=_generate(calls if calls is not None else []),
        empty_rows=empty_orders,
        fallback=fallback,
        reason="no API configured",
    )


def test_a_range_without_real_data_is_generated_in_one_call():
    calls: list[list[str]] = []
    batch = _fill(calls=calls)
    assert calls == [[w.key for w in HOURS]]
    assert {p.source for p in batch.values()} == {"mock"}


def test_real_and_mock_never_share_a_run_gaps_are_marked_missing():
    calls: list[list[str]] = []
    real = RawPartition("real", empty_orders())
    batch = _fill(imported={HOURS[2].key: real, HOURS[3].key: real}, calls=calls)
    assert calls == []
    assert [batch[w.key].is_real_data for w in HOURS] == [False, False, True, True, False, False]
    assert all(batch[w.key].missing and batch[w.key].source == "real" for w in HOURS if w not in HOURS[2:4])
    assert "the rest of the range is real" in batch[HOURS[0].key].notes["reason"]


def test_missing_markers_are_not_real_data():
    calls: list[list[str]] = []
    marker = RawPartition.missing_partition("real", empty_orders())
    batch = _fill(imported={w.key: marker for w in HOURS[:3]}, calls=calls)
    assert calls == [[w.key for w in HOURS]] and all(p.source == "mock" for p in batch.values())


def test_collected_data_wins_over_imported_data():
    api = RawPartition("real", empty_orders(), notes={"collector": "orders API"})
    imported = RawPartition("real", empty_orders(), notes={"collector": "import"})
    batch = _fill(collected={w.key: api for w in HOURS}, imported={w.key: imported for w in HOURS})
    assert {p.notes["collector"] for p in batch.values()} == {"orders API"}


def test_fallback_off_without_real_data_fails_with_the_reason():
    with pytest.raises(NoDataError, match=r"no real data for 6 partition\(s\) from 2024-05-04-00:00 \(no API configured\) and PIZZA_GAME_FALLBACK is off"):
        _fill(fallback=False)
