"""Every CLI call and Lambda cold start imports the definitions: nothing heavy a command may not use.

Not a timing test (the machine is shared): it checks which packages the import loads. scipy.stats
alone cost about 0.9 s of a 2.9 s import when analysis/counts.py imported it at module level; the
statistics import it where they compute. boto3 loads only with a bucket or QuickSight, plotly only
to render the report, dagster_aws (which pulls in dagster._core.test_utils) not at all.
"""

from __future__ import annotations

import pytest

from pizza_game_tests.import_probe import after_importing

HEAVY = ("scipy.stats", "boto3", "plotly", "dagster_aws", "dagster._core.test_utils")

PROBE = """
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


@pytest.mark.parametrize(
    "modules",
    [("pizza_game.definitions", "pizza_game.runner", "pizza_game.cli"), ("lambda_handler",)],
    ids=["cli", "lambda"],
)
def test_import_loads_nothing_heavy(modules, tmp_path, monkeypatch):
    loaded = after_importing(PROBE.format(heavy=HEAVY), modules, tmp_path, monkeypatch)
    assert loaded == "[]", f"{modules} loaded: {loaded}"
