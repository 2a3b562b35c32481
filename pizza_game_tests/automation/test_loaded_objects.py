"""A pipeline run's garbage collections leave alone what the process loaded before it."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest

from pizza_game import runner
from pizza_game.definitions import make_definitions
from pizza_game.instance import ephemeral_instance


def test_what_the_process_loaded_is_frozen_during_the_runs_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_during: list[int] = []
    execute = runner._execute

    def recording(*args, **kwargs):
        frozen_during.append(gc.get_freeze_count())
        return execute(*args, **kwargs)

    monkeypatch.setattr(runner, "_execute", recording)
    defs = make_definitions(data_dir=str(tmp_path / "data"), seed=1)
    start = pd.Timestamp("2024-10-05", tz="UTC")
    assert gc.get_freeze_count() == 0
    with ephemeral_instance() as instance:
        runner.run_pipeline(start, start + pd.Timedelta(days=1), defs=defs, instance=instance, log_level="ERROR")
    # Both runs (orders, then analysis) ran with the imports and definitions frozen...
    assert len(frozen_during) == 2 and min(frozen_during) > 50_000, frozen_during
    # ...and a process that goes on (a warm Lambda, this test session) collects them again after.
    assert gc.get_freeze_count() == 0
