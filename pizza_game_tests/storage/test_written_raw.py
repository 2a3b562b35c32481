"""The raw partitions a process wrote, read back from memory (storage/written_raw.py).

What a read takes from memory is exactly what decoding the object stored would give, and only
while the object stored is the one written: each test would fail if the partitions kept were not
in their decoded form, or if a read took one without comparing versions.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pizza_game.collectors.mock_matches import generate_matches
from pizza_game.collectors.mock_orders import generate_orders
from pizza_game.model import RawPartition, Span, split_by_span
from pizza_game.normalize.orders import normalize_orders
from pizza_game.schema import empty_matches, empty_orders
from pizza_game.storage import partitioned
from pizza_game.storage.codecs import decode_raw_many
from pizza_game.storage.partitioned import RawStore
from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import LocalStore, ObjectStore
from pizza_game.storage.written_raw import WrittenRaw
from pizza_game_tests.s3_server import MotoS3

DAY = pd.Timestamp("2024-10-05T00:00Z")
HOURS = [Span(f"2024-10-05-{h:02d}:00", DAY + pd.Timedelta(hours=h), DAY + pd.Timedelta(hours=h + 1)) for h in range(12)]
DAYS = [Span(f"2024-10-{d:02d}", pd.Timestamp(f"2024-10-{d:02d}T00:00Z"), pd.Timestamp(f"2024-10-{d + 1:02d}T00:00Z")) for d in range(1, 8)]


def _imported(times: list[str], totals: list[float]) -> pd.DataFrame:
    records = pd.DataFrame(
        {
            "order_id": [f"i{i}" for i in range(len(times))],
            "ordered_at": times,
            "store_id": ["s1"] * len(times),
            "region": ["Wales"] * len(times),
            "items": [2] * len(times),
            "total": totals,
        }
    )
    return normalize_orders(records, source="real", where="t").rows


def order_batch() -> dict[str, RawPartition]:
    """Hours of every kind: generated, imported (fractions of a second, a NaN total, API bodies and
    notes that JSON changes: a tuple, a timestamp), rejected rows, empty and missing hours, and
    two that JSON cannot hold exactly (a nanosecond, an infinite total)."""
    mock = split_by_span(generate_orders(HOURS[0].start, HOURS[-1].end, seed=7), "ordered_at", HOURS)
    batch = {span.key: RawPartition("mock", mock[span.key], notes={"generator": "mock", "seed": 7}) for span in HOURS}
    batch[HOURS[1].key] = RawPartition(
        "real",
        # Normalizing rejects a missing total: as a partition built otherwise may hold one.
        _imported(["2024-10-05T01:00:00Z", "2024-10-05T01:30:00.25Z", "2024-10-05T01:59:59.000001Z"], [9.5, 1.0, -0.0]).assign(
            total=[9.5, float("nan"), -0.0]
        ),
        responses=[{"orders": [1, 2], "pair": (1, 2)}],
        notes={"file": "orders.csv", "imported_at": pd.Timestamp("2024-10-06T08:00Z"), "count": 3},
    )
    rejected = pd.DataFrame({"where": ["orders.csv:4"], "reason": ["no total"], "record": ['{"order_id": "x"}']})
    batch[HOURS[2].key] = RawPartition("real", _imported(["2024-10-05T02:10:00Z"], [12.0]), rejected=rejected)
    batch[HOURS[3].key] = RawPartition("real", empty_orders(), notes={"file": "orders.csv"})
    batch[HOURS[4].key] = RawPartition.missing_partition("mock", empty_orders(), reason="no API configured")
    batch[HOURS[5].key] = RawPartition("real", _imported(["2024-10-05T05:00:00.000000001Z"], [1.0]))
    # An infinite total, likewise.
    batch[HOURS[6].key] = RawPartition("real", _imported(["2024-10-05T06:00:00Z"], [1.0]).assign(total=[float("inf")]))
    return batch


INEXACT = {HOURS[5].key, HOURS[6].key}


def match_batch() -> dict[str, RawPartition]:
    """Days of generated matches as seen mid-week: finished ones with scores, later ones without."""
    matches = generate_matches(DAYS[0].start, DAYS[-1].end, seed=7, now="2024-10-06T16:00Z")
    by_day = split_by_span(matches, "kickoff_at", DAYS)
    batch = {span.key: RawPartition("mock", by_day[span.key]) for span in DAYS}
    batch[DAYS[-1].key] = RawPartition.missing_partition("real", empty_matches(), reason="API down")
    return batch


def assert_same(got: RawPartition, expected: RawPartition) -> None:
    """Equal in every detail: dtypes, index, column types, and (by repr) the types of the values
    of notes and responses (a tuple is not a list, 1 is not 1.0)."""
    for name in ("rows", "rejected"):
        pd.testing.assert_frame_equal(
            getattr(got, name), getattr(expected, name), check_dtype=True, check_exact=True, check_index_type=True, check_column_type=True
        )
    assert got.source == expected.source
    assert repr(got.notes) == repr(expected.notes)
    assert repr(got.responses) == repr(expected.responses)


def _stored(store: ObjectStore, raw: RawStore, spans: list[Span], batch: dict[str, RawPartition]) -> dict[str, tuple[str, str]]:
    """Per partition key: the URI and the version listed of its object."""
    versions = store.list_versions("raw-data/")
    keys = {span.key: raw.key(batch[span.key].source, span) for span in spans}
    return {span_key: (store.uri(key), versions[key]) for span_key, key in keys.items()}


@pytest.mark.parametrize(("asset", "spans", "batch"), [("raw_orders", HOURS, order_batch()), ("raw_matches", DAYS, match_batch())])
def test_a_kept_partition_is_what_decoding_its_object_gives(tmp_path, asset, spans, batch):
    store = LocalStore(tmp_path)
    written = WrittenRaw()
    raw = RawStore(store, asset, written)
    raw.write_many(spans, batch)
    placeholders = {s.key for s in spans if batch[s.key].source == "real" and batch[s.key].missing}
    for span in spans:
        key = raw.key(batch[span.key].source, span)
        kept = written.take(store.uri(key), store.list_versions(key)[key])
        if span.key in INEXACT or span.key in placeholders:
            assert kept is None, span.key
            continue
        assert kept is not None, span.key
        (alone,) = decode_raw_many(asset, [(store.get(key), store.uri(key))])
        assert_same(kept, alone)
    assert len(written) == 0


@pytest.mark.parametrize(("asset", "spans", "batch"), [("raw_orders", HOURS, order_batch()), ("raw_matches", DAYS, match_batch())])
def test_a_read_takes_what_was_written_without_decoding_and_gives_what_decoding_gives(tmp_path, monkeypatch, asset, spans, batch):
    store = LocalStore(tmp_path)
    RawStore(store, asset, WrittenRaw()).write_many(spans, batch)  # objects a reader decodes
    expected = RawStore(store, asset, WrittenRaw(limit=0)).read_many(spans)
    decoded: list[int] = []
    real_decode = partitioned.decode_raw_many

    def counting(asset: str, objects: list[tuple[bytes, str]]) -> list[RawPartition]:
        decoded.append(len(objects))
        return real_decode(asset, objects)

    monkeypatch.setattr(partitioned, "decode_raw_many", counting)
    written = WrittenRaw()
    raw = RawStore(store, asset, written)
    raw.write_many(spans, batch)
    got = raw.read_many(spans)
    exact = [s for s in spans if s.key not in INEXACT and not (batch[s.key].source == "real" and batch[s.key].missing)]
    assert sum(decoded) == len(spans) - len(exact)
    assert list(got) == list(expected)
    for key in expected:
        assert_same(got[key], expected[key])
    # Taken out by the read: a second read decodes every object.
    assert len(written) == 0
    decoded.clear()
    raw.read_many(spans)
    assert sum(decoded) == len(spans)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> ObjectStore:
    if request.param == "local":
        return LocalStore(tmp_path / "data")
    moto_s3: MotoS3 = request.getfixturevalue("moto_s3")
    return S3Store(moto_s3.client(), moto_s3.new_bucket())


def test_put_many_gives_the_versions_listed_and_read(store):
    objects = [(f"raw-data/x/2024/10/0{i}/o.json", f'{{"n": {i}}}'.encode(), "application/json") for i in range(1, 4)]
    versions = store.put_many(objects)
    listed = store.list_versions("raw-data/x/")
    assert versions == [listed[key] for key, _, _ in objects]
    assert versions == [store.get_version(key)[1] for key, _, _ in objects]
    assert store.put_many([]) == []


def test_an_object_another_writer_replaced_is_read_from_the_store(store):
    """Another process (an import, a parallel backfill) rewrites hours after this one wrote them:
    with other rows, with the same rows in new bytes, or real data in place of the mock object."""
    batch = order_batch()
    written = WrittenRaw()
    raw = RawStore(store, "raw_orders", written)
    raw.write_many(HOURS, batch)
    other = RawStore(store, "raw_orders", WrittenRaw())
    shifted = RawPartition("mock", batch[HOURS[0].key].rows.iloc[1:], notes={"generator": "mock", "seed": 7})
    reworded = RawPartition("mock", batch[HOURS[7].key].rows, notes={"generator": "mock", "seed": 8})
    real = RawPartition("real", _imported(["2024-10-05T08:30:00Z"], [20.0]))
    replaced = {HOURS[0].key: shifted, HOURS[7].key: reworded, HOURS[8].key: real}
    other.write_many([s for s in HOURS if s.key in replaced], replaced)
    got = raw.read_many(HOURS)
    expected = RawStore(store, "raw_orders", WrittenRaw(limit=0)).read_many(HOURS)
    assert list(got) == list(expected)
    for key, part in replaced.items():
        assert_same(got[key], expected[key])
        assert len(got[key].rows) == len(part.rows) and got[key].notes == part.notes
    for key in expected:
        assert_same(got[key], expected[key])


def test_the_rows_kept_are_bounded_oldest_written_first_out(tmp_path):
    batch = order_batch()
    sizes = {s.key: max(len(batch[s.key].rows), 1) for s in HOURS if s.key not in INEXACT}
    limit = sum(sizes.values()) - sizes[HOURS[0].key]
    written = WrittenRaw(limit=limit)
    store = LocalStore(tmp_path)
    raw = RawStore(store, "raw_orders", written)
    raw.write_many(HOURS, batch)
    assert written.rows <= limit
    stored = _stored(store, raw, HOURS, batch)
    assert written.take(*stored[HOURS[0].key]) is None  # the oldest, out
    assert written.take(*stored[HOURS[2].key]) is not None
    assert written.rows == limit - sizes[HOURS[2].key]
    # A read of hours no longer kept decodes them, as it would without the cache.
    got = raw.read_many(HOURS)
    expected = RawStore(store, "raw_orders", WrittenRaw(limit=0)).read_many(HOURS)
    for key in expected:
        assert_same(got[key], expected[key])
    assert written.rows == 0 and len(written) == 0


def test_an_entry_goes_with_its_object_or_when_off(tmp_path):
    store = LocalStore(tmp_path)
    off = WrittenRaw(limit=0)
    RawStore(store, "raw_orders", off).write_many(HOURS, order_batch())
    assert len(off) == 0 and not off.enabled
    written = WrittenRaw()
    raw = RawStore(store, "raw_orders", written)
    hour = HOURS[0]
    raw.write_many([hour], {hour.key: RawPartition("mock", empty_orders())})
    assert len(written) == 1
    # Real data replaces the mock object: its entry goes with it.
    raw.write_many([hour], {hour.key: RawPartition("real", _imported(["2024-10-05T00:30:00Z"], [5.0]))})
    assert len(written) == 1
    key = raw.key("real", hour)
    assert written.take(store.uri(key), store.list_versions(key)[key]) is not None
