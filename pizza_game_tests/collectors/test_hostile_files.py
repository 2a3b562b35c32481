"""Hostile input files through the real `pizza-game import` command: one clear line naming the
problem, no traceback, good rows kept, rejected rows kept with their reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = "g-1,2024-03-05T10:00:00Z,s1,North,2,20.0\ng-2,2024-03-05T11:00:00Z,s1,North,1,9.5\n"
HEADER = "order_id,ordered_at,store_id,region,items,total\n"


def run_import(tmp_path: Path, name: str, content: str, *extra: str, data: str = "data") -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(content)
    command = [sys.executable, "-m", "pizza_game.cli", "import", "orders", str(path), "--data-dir", str(tmp_path / data), *extra]
    return subprocess.run(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)


def stored(tmp_path: Path) -> tuple[list[str], list[dict]]:
    ids, rejected = [], []
    for path in sorted((tmp_path / "data/raw-data").rglob("*.json")):
        document = json.loads(path.read_text(), parse_constant=_refuse)
        ids += [row["order_id"] for row in document.get("rows", [])]
        rejected += document.get("rejected", [])
    return ids, rejected


def _refuse(name: str) -> None:
    raise AssertionError(f"non-standard JSON constant {name} written")


@pytest.mark.parametrize(
    "numbers, reason",
    [
        ("b-1,2024-03-05T10:30:00Z,s1,North,1e19,20.0\n", "items is not a whole number"),
        ("b-1,2024-03-05T10:30:00Z,s1,North,5000,20.0\n", "items must be from 1 to 1,000"),
        ("b-1,2024-03-05T10:30:00Z,s1,North,99999999999999999999999,20.0\n", "items is not a whole number"),
        ("b-1,2024-03-05T10:30:00Z,s1,North,2,inf\n", "total is not a finite number"),
        ("b-1,2024-03-05T10:30:00Z,s1,North,2,1e400\n", "total is not a finite number"),
        ("b-1,2024-03-05T10:30:00Z,s1,North,2,NaN\n", "total is not a finite number"),
    ],
)
def test_bad_numbers_are_rejected_row_by_row(tmp_path: Path, numbers: str, reason: str):
    result = run_import(tmp_path, "orders.csv", HEADER + GOOD + numbers)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    ids, rejected = stored(tmp_path)
    assert sorted(ids) == ["g-1", "g-2"]
    assert [r["reason"] for r in rejected] == [reason]
    assert json.loads(rejected[0]["record"])["order_id"] == "b-1"


def test_day_first_dates_need_a_date_format_and_a_mixed_file_is_refused(tmp_path: Path):
    rows = "d-1,05/10/2024 18:00,s1,North,1,9.5\nd-2,25/10/2024 18:00,s1,North,1,9.5\n"
    guessed = run_import(tmp_path, "dates.csv", HEADER + rows, "--timezone", "UTC")
    assert guessed.returncode == 2
    assert guessed.stderr.count("\n") == 1 and "--date-format" in guessed.stderr
    told = run_import(tmp_path, "dates.csv", HEADER + rows, "--timezone", "UTC", "--date-format", "%d/%m/%Y")
    assert told.returncode == 0, told.stderr
    assert (tmp_path / "data/raw-data/dominos-orders/real/2024/10/25/20241025_180000_orders.json").exists()
    mixed = run_import(tmp_path, "mixed.csv", HEADER + rows + "d-3,10/26/2024 18:00,s1,North,1,9.5\n", "--timezone", "UTC", "--date-format", "%d/%m/%Y")
    assert mixed.returncode == 2 and "mix day-first and month-first" in mixed.stderr


def test_a_mistyped_year_is_rejected_as_suspect_instead_of_a_year_of_empty_hours(tmp_path: Path):
    typo = "y-1,2023-03-05T10:30:00Z,s1,North,1,9.5\n"
    result = run_import(tmp_path, "orders.csv", HEADER + GOOD + typo)
    assert result.returncode == 0, result.stderr
    ids, _ = stored(tmp_path)
    assert sorted(ids) == ["g-1", "g-2"]
    (kept,) = (tmp_path / "data/imports/rejected/raw_orders").glob("*.json")
    (rejected,) = json.loads(kept.read_text())["rejected"]
    assert "main period" in rejected["reason"] and json.loads(rejected["record"])["order_id"] == "y-1"
    assert len(list((tmp_path / "data/raw-data").rglob("*.json"))) == 2


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("columns.csv", "id,ordered_at\n1,2024-03-05T10:00:00Z\n", "order_id"),
    ],
)
def test_hostile_files_give_one_line(tmp_path: Path, name: str, content: str, message: str):
    result = run_import(tmp_path, name, content)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_nested_records_are_rejected_and_the_flat_ones_kept(tmp_path: Path):
    orders = [
        {"order_id": "g-1", "ordered_at": "2024-03-05T10:00:00Z", "items": 1, "total": 9.5},
        {"order_id": "n-1", "ordered_at": "2024-03-05T10:10:00Z", "items": {"a": [1]}, "total": 9.5},
    ]
    result = run_import(tmp_path, "orders.json", json.dumps(orders))
    assert result.returncode == 0, result.stderr
    ids, rejected = stored(tmp_path)
    assert ids == ["g-1"] and "nested" in rejected[0]["reason"]


def test_a_symlink_loop_as_data_folder_gives_one_line(tmp_path: Path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    result = run_import(tmp_path, "orders.csv", HEADER + GOOD, data="loop")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_every_rejected_row_is_kept_once_even_when_all_rows_are_bad(tmp_path: Path):
    naive = "n-1,2024-03-05 10:00,s1,North,1,9.5\nn-2,2024-03-05 11:00,s1,North,1,9.5\n"
    for _ in range(3):
        result = run_import(tmp_path, "naive.csv", HEADER + naive)
        assert result.returncode == 2
    (kept,) = (tmp_path / "data/imports/rejected/raw_orders").glob("*.json")
    rejected = json.loads(kept.read_text())["rejected"]
    assert [json.loads(r["record"])["order_id"] for r in rejected] == ["n-1", "n-2"]
    assert {r["reason"] for r in rejected} == {"naive timestamp (no UTC offset); give the source's timezone"}
