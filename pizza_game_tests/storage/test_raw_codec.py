"""Encoding and decoding many raw partitions at once gives exactly the one-by-one objects."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from pizza_game.model import RawPartition
from pizza_game.schema import ORDER_COLUMNS, coerce, empty_orders
from pizza_game.storage.codecs import decode_raw, decode_raw_many, encode_raw, encode_raw_many

HOUR = pd.Timestamp("2024-10-05T18:00Z")


def _orders(*times: str) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(times))],
            "ordered_at": pd.to_datetime(list(times), utc=True, format="ISO8601"),
            "store_id": "s1",
            "region": "London",
            "items": 2,
            "total": 12.5,
            "source": "real",
        }
    )
    return coerce(table, ORDER_COLUMNS)


def _parts() -> list[tuple[str, pd.Timestamp, pd.Timestamp, RawPartition]]:
    rejected = pd.DataFrame({"where": ["f.csv line 3"], "reason": ["bad time"], "record": ["x,y"]})
    parts = [
        RawPartition("real", _orders("2024-10-05T18:01:00Z", "2024-10-05T18:02:00Z")),
        # Sub-second instants: this partition alone is written with microseconds.
        RawPartition("real", _orders("2024-10-05T19:00:00Z", "2024-10-05T19:00:00.250Z"), rejected, [{"body": 1}], {"files": ["f.csv"]}),
        RawPartition.missing_partition("mock", empty_orders()),
        RawPartition("real", _orders("2024-10-05T21:30:00Z")),
    ]
    return [(f"2024-10-05-{18 + i}:00", HOUR + pd.Timedelta(hours=i), HOUR + pd.Timedelta(hours=i + 1), p) for i, p in enumerate(parts)]


def test_many_at_once_encodes_the_bytes_of_one_by_one() -> None:
    parts = _parts()
    together = encode_raw_many("raw_orders", parts)
    assert together == [encode_raw("raw_orders", *part) for part in parts]
    documents = [json.loads(data) for data in together]
    assert [r["ordered_at"] for r in documents[0]["rows"]] == ["2024-10-05T18:01:00Z", "2024-10-05T18:02:00Z"]
    assert [r["ordered_at"] for r in documents[1]["rows"]] == ["2024-10-05T19:00:00.000000Z", "2024-10-05T19:00:00.250000Z"]
    assert documents[1]["rejected"] == [{"where": "f.csv line 3", "reason": "bad time", "record": "x,y"}]
    assert documents[2]["rows"] == [] and documents[2]["rejected"] == []


def test_rows_have_the_bytes_json_writes_for_their_records() -> None:
    """Rows are written column by column: the bytes ``json`` writes for them as records, whatever
    the text (quotes, commas, backslashes, non-ASCII, %), numpy strings, missing and non-finite
    numbers (null, as strict JSON has no such numbers)."""
    rows = _orders("2024-10-05T18:01:00Z", "2024-10-05T18:02:00Z", "2024-10-05T18:03:00Z")
    rows["order_id"] = ['a","b', "caf\u00e9 %s", np.str_("x\\")]
    rows["store_id"] = [None, "s,1", "\n"]
    rows["total"] = [float("inf"), float("nan"), 1e-7]
    notes = {"why": 'it said "%d"'}
    data = encode_raw("raw_orders", "2024-10-05-18:00", HOUR, HOUR + pd.Timedelta(hours=1), RawPartition("real", rows, notes=notes))
    # Missing text (NaN in the frame) and non-finite numbers are null.
    records = [
        {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in r.items()}
        | {"ordered_at": f"{r['ordered_at']:%Y-%m-%dT%H:%M:%SZ}"}
        for r in rows.to_dict("records")
    ]
    expected = {
        "asset": "raw_orders",
        "partition": "2024-10-05-18:00",
        "window_start": "2024-10-05T18:00:00Z",
        "window_end": "2024-10-05T19:00:00Z",
        "source": "real",
        "row_count": 3,
        "rejected_count": 0,
        "notes": notes,
        "rows": records,
        "rejected": [],
        "responses": [],
    }
    assert data == json.dumps(expected, separators=(",", ":")).encode()
    assert json.loads(data)["rows"][0]["order_id"] == 'a","b'


def test_many_at_once_decodes_the_partitions_of_one_by_one() -> None:
    objects = [(data, f"object {i}") for i, data in enumerate(encode_raw_many("raw_orders", _parts()))]
    together = decode_raw_many("raw_orders", objects)
    for a, b in zip(together, [decode_raw("raw_orders", data, where) for data, where in objects], strict=True):
        pd.testing.assert_frame_equal(a.rows, b.rows)
        pd.testing.assert_frame_equal(a.rejected, b.rejected)
        assert (a.source, a.responses, a.notes) == (b.source, b.responses, b.notes)
    assert [len(p.rows) for p in together] == [2, 2, 0, 1]


def test_a_malformed_object_among_many_is_named() -> None:
    good = encode_raw_many("raw_orders", _parts())
    broken = json.loads(good[1])
    del broken["rows"][0]["ordered_at"]
    objects = [(good[0], "first"), (json.dumps(broken).encode(), "second"), (good[2], "third")]
    with pytest.raises(ValueError, match=r"^second is not a valid raw_orders object"):
        decode_raw_many("raw_orders", objects)
