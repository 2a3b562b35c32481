"""A process that keeps decoded days (the warm Lambda) takes the analysis's next read of its
horizon from the horizon it read last (storage/decoded_days.py), for the days whose JSON is
unchanged: no settled-days file and no copy is read for them, and the read is exactly what
decoding every day's JSON gives."""

from __future__ import annotations

import shutil

import dagster as dg
import pandas as pd
import pytest

from pizza_game.definitions import make_definitions
from pizza_game.model import MergedDay
from pizza_game.runner import run_pipeline
from pizza_game.storage import decoded_days, layout
from pizza_game.storage.codecs import decode_merged_days
from pizza_game.storage.decoded_days import DecodedDays
from pizza_game.storage.known_digests import KnownDigests
from pizza_game.storage.partitioned import MergedStore
from pizza_game.storage.settled_days import SETTLED_NAME
from pizza_game_tests.storage.test_settled_days import (
    DAYS,
    END,
    START,
    CountingStore,
    assert_as_json,
    copies_read,
)


class WatchedStore(CountingStore):
    """Also records the keys read one by one (the settled-days file is)."""

    def get(self, key: str) -> bytes:
        self.asked.append(key)
        return super().get(key)


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    root = tmp_path_factory.mktemp("merged")
    run_pipeline(START, END, defs=make_definitions(data_dir=str(root), seed=11), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return root


@pytest.fixture
def store(merged, tmp_path) -> WatchedStore:
    shutil.copytree(merged, tmp_path / "data")
    return WatchedStore(tmp_path / "data")


def read(store: WatchedStore, decoded: DecodedDays, days: list[pd.Timestamp]):
    store.asked = []
    return MergedStore(store, decoded, KnownDigests()).read_stacked(days)


def test_the_next_read_takes_the_days_unchanged_from_the_last_horizon(store: WatchedStore) -> None:
    decoded = DecodedDays()
    assert_as_json(store, read(store, decoded, DAYS), DAYS)
    assert SETTLED_NAME in store.asked
    again = read(store, decoded, DAYS)
    assert_as_json(store, again, DAYS)
    assert copies_read(store) == [] and SETTLED_NAME not in store.asked
    # The next day's horizon starts a day later.
    later = read(store, decoded, DAYS[1:])
    assert_as_json(store, later, DAYS[1:])
    assert copies_read(store) == [] and SETTLED_NAME not in store.asked


def test_a_day_merged_again_is_read_from_its_copy_and_the_days_after_it_too(store: WatchedStore) -> None:
    decoded = DecodedDays()
    read(store, decoded, DAYS)
    day = decode_merged_days([(store.get(layout.merged_keys(DAYS[5])["json"]), "day 6")])[0]
    series = day.series.assign(orders=day.series["orders"] + (day.series.index == 0) * 1000)
    MergedStore(store).write(MergedDay(day=day.day, series=series, windows=day.windows, matches=day.matches, coverage=day.coverage))
    changed = read(store, decoded, DAYS)
    assert_as_json(store, changed, DAYS)
    assert int(changed.tables["series"]["orders"].iloc[changed.bounds["series"][5]]) == int(series["orders"].iloc[0])
    assert copies_read(store) == [layout.merged_columns_key(d) for d in DAYS[5:]]


def test_days_without_copies_are_decoded_from_their_json_once(store: WatchedStore) -> None:
    # Days merged before columnar copies existed, and no settled-days file.
    for day in DAYS[:3]:
        store.delete(layout.merged_columns_key(day))
    store.delete(SETTLED_NAME)
    decoded, known = DecodedDays(), KnownDigests()
    json_keys = {layout.merged_keys(d)["json"] for d in DAYS}
    for step in range(2):
        store.asked = []
        stacked = MergedStore(store, decoded, known).read_stacked(DAYS)
        read_json = [key for key in store.asked if key in json_keys]
        assert (len(read_json), len(copies_read(store))) == ((len(DAYS), len(DAYS)) if step == 0 else (0, 0))
        assert_as_json(store, stacked, DAYS)


def test_what_a_caller_changes_in_its_read_is_not_what_the_next_read_gets(store: WatchedStore) -> None:
    decoded = DecodedDays()
    first = read(store, decoded, DAYS)
    first.tables["series"].loc[0, "orders"] = 10**6
    first.tables["windows"]["extra"] = 1
    first.coverage[0]["orders_in_day"] = -1
    assert_as_json(store, read(store, decoded, DAYS), DAYS)


def test_a_process_that_keeps_no_decoded_days_keeps_no_horizon(store: WatchedStore) -> None:
    off = DecodedDays(limit=0)
    read(store, off, DAYS)
    assert_as_json(store, read(store, off, DAYS), DAYS)
    assert SETTLED_NAME in store.asked and copies_read(store)


def _outputs(root) -> dict[str, bytes]:
    """Every object, its root's URI replaced (manifests name it). Left out: the dotfiles, caches
    (the settled days, the known digests), and the lineage records, one per publish named by its run."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes().replace(root.as_uri().encode(), b"file:///DATA")
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and not p.relative_to(root).as_posix().startswith("quicksight-ready/metadata/lineage/")
    }


def test_hourly_runs_in_a_process_that_keeps_decoded_days_write_what_fresh_processes_write(tmp_path, monkeypatch) -> None:
    hour = END + pd.Timedelta(hours=14)
    written = {}
    for keep in (False, True):
        # The process's cache, as the Lambda handler turns it on, fresh for each.
        monkeypatch.setattr(decoded_days.DECODED, "limit", decoded_days.LIMIT if keep else 0)
        decoded_days.DECODED.clear()
        root = tmp_path / f"keep-{keep}"
        defs = make_definitions(data_dir=str(root), seed=11)
        instance = dg.DagsterInstance.ephemeral()
        run_pipeline(START, END, defs=defs, instance=instance, log_level="ERROR")
        for step in range(3):
            start = hour + pd.Timedelta(hours=step)
            run_pipeline(start, start + pd.Timedelta(hours=1), defs=defs, instance=instance, collect_margin=False, log_level="ERROR")
        written[keep] = _outputs(root)
        kept = decoded_days.DECODED.horizon()
        assert (kept is not None and len(kept[1]) > len(DAYS)) if keep else kept is None
    decoded_days.DECODED.clear()
    assert written[True].keys() == written[False].keys()
    assert [key for key in written[True] if written[True][key] != written[False][key]] == []
