"""Import modules in a fresh Python process, as a CLI call or a Lambda cold start does, and read
what a probe prints after them (which packages got loaded, how a module-level switch was set)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def after_importing(probe: str, modules: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The last line ``probe`` prints once it has imported ``modules`` (its ``sys.argv[1:]``)."""
    # The Lambda handler puts its writable paths under /tmp at import; keep them in tmp_path.
    monkeypatch.setenv("PIZZA_GAME_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PIZZA_GAME_WRITABLE_DIR", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", probe, *modules],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'deploy'}"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1]
