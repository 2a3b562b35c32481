"""A pipeline run's garbage collections leave alone what the process loaded before it, and are rarer."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest

from pizza_game import runner
from pizza_game.definitions import make_definitions
from pizza_game.instance import ephemeral_instance
from pizza_game.storage.written_raw import WRITTEN, WrittenRaw


def test_the_collector_is_set_for_the_runs_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_during: list[int] = []
    thresholds_during: list[tuple[int, int, int]] = []
    execute = runner._execute

    def recording(*args, **kwargs):
        frozen_during.append(gc.get_freeze_count())
        thresholds_during.append(gc.get_threshold())
        return execute(*args, **kwargs)

    monkeypatch.setattr(runner, "_execute", recording)
    defs = make_definitions(data_dir=str(tmp_path / "data"), seed=1)
    start = pd.Timestamp("2024-10-05", tz="UTC")
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    with ephemeral_instance() as instance:
        runner.run_pipeline(start, start + pd.Timedelta(days=1), defs=defs, instance=instance, log_level="ERROR")
    # Both runs (orders, then analysis) ran with the imports and definitions frozen...
    assert len(frozen_during) == 2 and min(frozen_during) > 50_000, frozen_during
    assert thresholds_during == [(before[0], before[1], runner.RUN_FULL_COLLECTION_THRESHOLD)] * 2
    # ...and a process that goes on (a warm Lambda, this test session) collects as before after.
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_runs_read_back_the_raw_hours_they_wrote_from_memory_and_keep_none_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[bool] = []
    take = WrittenRaw.take

    def recording(self: WrittenRaw, uri: str, version: str):
        part = take(self, uri, version)
        taken.append(part is not None)
        return part

    monkeypatch.setattr(WrittenRaw, "take", recording)
    defs = make_definitions(data_dir=str(tmp_path / "data"), seed=1)
    start = pd.Timestamp("2024-10-05", tz="UTC")
    assert not WRITTEN.enabled  # off in a process that runs no pipeline (the UI's run workers)
    with ephemeral_instance() as instance:
        runner.run_pipeline(start, start + pd.Timedelta(days=1), defs=defs, instance=instance, log_level="ERROR")
    # The merge took most of the hours the orders run had just written from memory...
    assert sum(taken) > len(taken) / 2, taken
    # ...and a process that goes on (a warm Lambda) holds none afterwards.
    assert not WRITTEN.enabled and len(WRITTEN) == 0 and WRITTEN.rows == 0
