import pandas as pd
import pytest

from pizza_game.analysis.merge import merge_day
from pizza_game.model import RawPartition, Span
from pizza_game.normalize.matches import normalize_matches
from pizza_game.normalize.orders import normalize_orders
from pizza_game.storage import layout
from pizza_game.storage.partitioned import MergedStore, RawStore
from pizza_game.storage.store import LocalStore

HOUR = Span("2024-05-04-18:00", pd.Timestamp("2024-05-04T18:00Z"), pd.Timestamp("2024-05-04T19:00Z"))


def _orders(source):
    records = pd.DataFrame(
        {
            "order_id": ["a", "b"],
            "ordered_at": ["2024-05-04T18:01:02Z", "2024-05-04T18:59:59.5Z"],
            "store_id": ["s1", "s2"],
            "region": ["London", "Wales"],
            "items": [1, 3],
            "total": [9.99, 31.5],
        }
    )
    return normalize_orders(records, source=source, where="t")


def _write(raw: RawStore, part: RawPartition) -> tuple[str, int]:
    """Write the one partition of HOUR the way production writes a run of them."""
    return raw.write_many([HOUR], {HOUR.key: part})[0]


def _read(raw: RawStore) -> RawPartition | None:
    return raw.read_many([HOUR]).get(HOUR.key)


def test_raw_partition_round_trips_exactly(tmp_path):
    raw = RawStore(LocalStore(tmp_path), "raw_orders")
    normalized = _orders("mock")
    part = RawPartition("mock", normalized.rows, notes={"reason": "no API configured"})
    key, size = _write(raw, part)
    assert key == "raw-data/dominos-orders/mock/2024/05/04/20240504_180000_mock_orders.json"
    assert size == (tmp_path / key).stat().st_size
    back = _read(raw)
    assert back is not None
    pd.testing.assert_frame_equal(back.rows, part.rows)
    assert back.source == "mock" and back.notes == {"reason": "no API configured"}


def test_real_data_replaces_mock_data_for_the_same_partition(tmp_path):
    store = LocalStore(tmp_path)
    raw = RawStore(store, "raw_orders")
    _write(raw, RawPartition("mock", _orders("mock").rows))
    _write(raw, RawPartition("real", _orders("real").rows, responses=[{"orders": []}]))
    assert store.list("raw-data/") == ["raw-data/dominos-orders/real/2024/05/04/20240504_180000_orders.json"]
    back = _read(raw)
    assert back is not None and back.source == "real"
    assert raw.read_many([HOUR], sources=("mock",)) == {}


def test_missing_partitions_are_absent_not_errors(tmp_path):
    raw = RawStore(LocalStore(tmp_path), "raw_matches")
    day = Span("2024-05-04", pd.Timestamp("2024-05-04T00:00Z"), pd.Timestamp("2024-05-05T00:00Z"))
    assert raw.read_many([day]) == {}


def test_corrupt_object_names_the_object(tmp_path):
    store = LocalStore(tmp_path)
    store.put(layout.raw_orders_key("mock", HOUR.start), b"{not json", "application/json")
    with pytest.raises(ValueError, match=r"20240504_180000_mock_orders\.json is not a valid raw_orders object"):
        _read(RawStore(store, "raw_orders"))


def test_merged_day_round_trips(tmp_path):
    day = pd.Timestamp("2024-05-04", tz="UTC")
    matches = normalize_matches(
        pd.DataFrame({"match_id": ["m"], "kickoff_at": ["2024-05-04T18:30:00Z"], "home_team": ["A"], "away_team": ["B"], "home_score": [1], "away_score": [1]}),
        source="mock",
        where="t",
    ).rows
    hours = pd.date_range(day - pd.Timedelta("1D"), periods=72, freq="h", tz="UTC")
    merged = merge_day(day, _orders("mock").rows, matches, hours)
    store = MergedStore(LocalStore(tmp_path))
    written = store.write(merged)
    assert written["csv"][0] == "processed-data/merged-datasets/2024/05/04/20240504_000000_merged_data.csv"
    (back,) = store.read_days([day, day + pd.Timedelta("1D")])
    pd.testing.assert_frame_equal(back.series, merged.series, check_dtype=False)
    pd.testing.assert_frame_equal(back.windows, merged.windows, check_dtype=False)
    assert back.matches["winner"].tolist() == ["DRAW"]
    assert back.coverage == merged.coverage


def test_mock_or_missing_data_never_replaces_real_data(tmp_path):
    store = LocalStore(tmp_path)
    raw = RawStore(store, "raw_orders")
    real = RawPartition("real", _orders("real").rows)
    _write(raw, real)
    assert _write(raw, RawPartition("mock", _orders("mock").rows)) == (raw.key("real", HOUR), 0)
    marker = RawPartition.missing_partition("real", _orders("real").rows.iloc[:0])
    assert _write(raw, marker)[1] == 0
    assert store.list("raw-data/") == [raw.key("real", HOUR)]
    back = _read(raw)
    assert back is not None
    pd.testing.assert_frame_equal(back.rows, real.rows)


def test_layout_keys_are_dated_by_the_span_start():
    """Keys spell the date and time of the span start (written from its fields, not strftime)."""
    at = pd.Timestamp("2024-05-04T07:08:09Z")
    assert layout.raw_orders_key("mock", at) == f"{layout.RAW_ORDERS_PREFIX}/mock/2024/05/04/20240504_070809_mock_orders.json"
    assert layout.merged_keys(pd.Timestamp("2031-12-31", tz="UTC"))["csv"].endswith("/2031/12/31/20311231_000000_merged_data.csv")
