"""One behaviour suite for both object stores: LocalStore on a directory, S3Store on moto."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pizza_game.storage import layout
from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import LocalStore, ObjectStore
from pizza_game_tests.s3_server import MotoS3

HOURS = [datetime(2024, 5, day, hour, tzinfo=UTC) for day in (3, 4) for hour in (0, 13)]
NEW_YEAR = datetime(2025, 1, 1, tzinfo=UTC)

# The same writes for every store: raw data on two days, a re-run, merged and published keys.
PUTS: list[tuple[str, bytes, str]] = [
    *[
        (layout.raw_orders_key("mock", hour), b'{"orders": []}', "application/json")
        for hour in HOURS
    ],
    *[
        (layout.raw_matches_key("real", hour), b'{"matches": []}', "application/json")
        for hour in HOURS
    ],
    (layout.raw_orders_key("real", NEW_YEAR), b"[]", "application/json"),
    (layout.merged_keys(HOURS[0])["csv"], b"order_id,total\n1,9.5\n", "text/csv"),
    (layout.merged_keys(HOURS[0])["json"], b"[]", "application/json"),
    (layout.raw_orders_key("mock", HOURS[1]), b'{"orders": [1]}', "application/json"),
    (layout.MANIFEST_KEY, b"{}", "application/json"),
]


def make_store(kind: str, tmp_path, moto_s3: MotoS3 | None) -> ObjectStore:
    if kind == "local":
        return LocalStore(tmp_path / "data")
    assert moto_s3 is not None
    return S3Store(moto_s3.client(), moto_s3.new_bucket())


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> ObjectStore:
    moto_s3 = request.getfixturevalue("moto_s3") if request.param == "s3" else None
    return make_store(request.param, tmp_path, moto_s3)


def fill(store: ObjectStore) -> None:
    for key, data, content_type in PUTS:
        store.put(key, data, content_type)


def listings(store: ObjectStore) -> dict[str, list[str]]:
    """Every listing the code location relies on: folders, date prefixes, partial names."""
    folders = [
        "",
        "raw-data/",
        "raw-data/dominos-orders/mock/",
        "raw-data/dominos-orders/mock/2024/05/",
        "missing/",
    ]
    partial = ["raw-data/dominos", "processed-data/merged-datasets/2024/05/03/20240503_0000"]
    return {
        **{f"list {p!r}": store.list(p) for p in [*folders, *partial]},
        **{f"dirs {p!r}": store.list_dirs(p) for p in folders},
    }


def test_local_and_s3_list_the_same_keys(tmp_path, moto_s3):
    local, s3 = make_store("local", tmp_path, None), make_store("s3", tmp_path, moto_s3)
    fill(local)
    fill(s3)
    assert listings(local) == listings(s3)
    assert len(s3.list("")) == len({key for key, _, _ in PUTS})


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"team": "M\xc3\xbcnchen"}', "application/json"),
        (b"match_id,lift\n1,0.25\n", "text/csv"),
        (b"<!doctype html><p>pizza</p>", "text/html; charset=utf-8"),
        (bytes(range(256)), "application/octet-stream"),
        (b"", "application/json"),
    ],
)
def test_round_trip_keeps_every_byte(store, data, content_type):
    key = layout.dashboard_data_key(HOURS[0])
    store.put(key, data, content_type)
    assert store.get(key) == data
    assert store.exists(key)


def test_missing_key_is_a_key_error(store):
    with pytest.raises(KeyError):
        store.get("quicksight-ready/metadata/absent.json")
    assert not store.exists("quicksight-ready/metadata/absent.json")


def test_rewrite_replaces_and_delete_removes(store):
    key = layout.raw_orders_key("mock", HOURS[2])
    store.put(key, b"first", "application/json")
    store.put(key, b"second", "application/json")
    assert store.get(key) == b"second"
    assert store.list("raw-data/") == [key]
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)
    assert store.list("raw-data/") == []


def test_list_and_list_dirs_walk_date_prefixes(store):
    fill(store)
    assert store.list_dirs("raw-data/dominos-orders/") == [
        "raw-data/dominos-orders/mock/",
        "raw-data/dominos-orders/real/",
    ]
    assert store.list_dirs("raw-data/dominos-orders/mock/2024/05/") == [
        "raw-data/dominos-orders/mock/2024/05/03/",
        "raw-data/dominos-orders/mock/2024/05/04/",
    ]
    assert store.list("raw-data/dominos-orders/mock/2024/05/04/") == [
        "raw-data/dominos-orders/mock/2024/05/04/20240504_000000_mock_orders.json",
        "raw-data/dominos-orders/mock/2024/05/04/20240504_130000_mock_orders.json",
    ]
    assert store.list("reports/") == []


def test_uri_names_the_object(store):
    uri = store.uri(layout.MANIFEST_KEY)
    assert uri.endswith("/quicksight-ready/metadata/manifest.json")
    assert uri.split("://")[0] == ("s3" if isinstance(store, S3Store) else "file")


def test_check_passes_on_a_usable_store(store):
    store.check()


def test_list_versions_gives_get_versions_token_and_a_new_one_for_new_bytes(store):
    fill(store)
    key = layout.merged_keys(HOURS[0])["json"]
    folder = layout.month_folder(key)
    versions = store.list_versions(folder)
    assert sorted(versions) == store.list(folder)
    assert versions[key] == store.get_version(key)[1]
    store.put(key, b"[1]", "application/json")
    assert store.list_versions(folder)[key] not in (None, versions[key])
    assert store.list_versions("missing/") == {}


def test_get_many_gives_the_bytes_and_version_of_each_key_that_exists(store):
    fill(store)
    keys = [key for key, _, _ in PUTS[:5]]
    got = store.get_many([*keys, "missing/absent.json"])
    assert sorted(got) == sorted(keys)
    assert all(got[key] == (store.get(key), store.get_version(key)[1]) for key in keys)
    assert store.get_many([]) == {}
