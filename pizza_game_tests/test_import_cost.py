"""Every CLI call and Lambda cold start imports the definitions: nothing heavy a command may not use.

Not a timing test (the machine is shared): it checks which packages the import loads. scipy.stats
alone cost about 0.9 s of a 2.9 s import when analysis/counts.py imported it at module level; the
statistics import it where they compute. boto3 loads only with a bucket or QuickSight, plotly only
to render the report, dagster_aws (which pulls in dagster._core.test_utils) not at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
    # The Lambda handler puts its writable paths under /tmp at import; keep them in tmp_path.
    monkeypatch.setenv("PIZZA_GAME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *modules],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'deploy'}"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]", f"{modules} loaded: {result.stdout}"
