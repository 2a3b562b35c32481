"""The process cache of decoded merged days is on only where a process runs pipeline after pipeline.

A `pizza-game` command and a Dagster run process run one pipeline and exit: there the cache would
only keep the decoded horizon alive (a season run peaked at 1,099 MB with it, 789 MB without). The
warm Lambda runs hour after hour over the same horizon, so its handler turns the cache on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pizza_game.storage.decoded_days import LIMIT
from pizza_game_tests.import_probe import after_importing

PROBE = """
import importlib, sys, warnings
warnings.simplefilter("ignore")
for name in sys.argv[1:]:
    importlib.import_module(name)
from pizza_game.storage.decoded_days import DECODED
print(DECODED.limit)
"""


@pytest.mark.parametrize(
    ("modules", "limit"),
    [(("pizza_game.definitions", "pizza_game.runner", "pizza_game.cli"), 0), (("lambda_handler",), LIMIT)],
    ids=["cli", "lambda"],
)
def test_the_cache_is_on_in_the_lambda_only(modules: tuple[str, ...], limit: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert int(after_importing(PROBE, modules, tmp_path, monkeypatch)) == limit
