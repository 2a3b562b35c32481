"""`pizza-game run` tried as a new user would: a fresh virtual environment, an installed copy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pizza_game.storage.codecs import decode_raw
from pizza_game_tests.layout_check import KEY_FAMILIES, families, keys_under

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("fresh")
    subprocess.run([sys.executable, "-m", "venv", str(home / "venv")], check=True)
    pip = [str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, str(REPO)], check=True, timeout=900, cwd=home)
    return home


def _row_counts(root: Path, keys: list[str]) -> dict[str, int]:
    return {k: len(decode_raw("raw_orders" if "dominos" in k else "raw_matches", (root / k).read_bytes(), k).rows) for k in keys}


# Slow: its fixture pip-installs the package and every dependency into a new virtual environment.
@pytest.mark.slow
def test_pizza_game_run_in_a_fresh_venv_writes_every_key_family_and_is_repeatable(venv):
    data = venv / "data"
    command = [str(venv / "venv" / "bin" / "pizza-game"), "run", "--start", "2024-10-07", "--end", "2024-10-09", "--data-dir", str(data)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIZZA_GAME", "S3_", "FOOTBALL_", "DOMINOS_", "DAGSTER_HOME"))}
    first = subprocess.run(command, capture_output=True, text=True, cwd=venv, env=env, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Outputs:" in first.stdout and "orders (0% real)" in first.stdout
    keys = keys_under(data)
    grouped = families(keys)
    assert None not in grouped and set(grouped) == set(KEY_FAMILIES)
    raw_keys = grouped["raw_orders"] + grouped["raw_matches"]
    counts = _row_counts(data, raw_keys)

    second = subprocess.run(command, capture_output=True, text=True, cwd=venv, env=env, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    again = families(keys_under(data))
    again.pop("lineage"), grouped.pop("lineage")
    assert again == grouped
    assert _row_counts(data, raw_keys) == counts
