"""Rows rejected on input, by reason, in the summary, the CLI and the report: each row counted once.

Orders and matches files with bad rows are imported with the real `pizza-game import`, the
pipeline runs over their days, and the counts shown equal the rejected rows the raw partitions
store. Bad orders sit in the first and last hours of the days, which the merged days on either
side also read (match windows cross midnight): counted there too, they would be counted twice.
"""

import json
from collections import Counter
from html import unescape
from pathlib import Path

import pytest

from pizza_game import settings
from pizza_game.analysis.summary import rejected_rows, rejected_text
from pizza_game.cli import main

DAYS = ("2024-10-08", "2024-10-09", "2024-10-10")


def _orders_file(path: Path) -> Path:
    rows = [
        f"o{day}-{hour}-{i},{day}T{hour:02d}:{i:02d}:00Z,s1,London,{items},10.0"
        for day in DAYS
        for hour in (0, 12, 23)
        for i, items in enumerate((1, 2, 1))
    ]
    bad = [
        f"n{day},{day}T23:30:00Z,s1,London,-1,10.0" for day in DAYS  # negative items, last hour
    ] + [
        f"o{DAYS[1]}-0-0,{DAYS[1]}T00:00:00Z,s2,Wales,1,10.0",  # a duplicate order_id, first hour
        f"z1,{DAYS[2]}T00:10:00Z,s1,London,2,ten",  # total not a number, first hour
        "t1,not a time,s1,London,1,10.0",  # no time: kept under imports/rejected/, in no day
    ]
    header = "order_id,ordered_at,store_id,region,items,total"
    path.write_text("\n".join([header, *rows, *bad]) + "\n")
    return path


def _matches_file(path: Path) -> Path:
    header = "match_id,competition,kickoff_at,status,home_team,away_team,home_score,away_score"
    rows = [
        f"m1,PL,{DAYS[0]}T19:00:00Z,FINISHED,Arsenal FC,Chelsea FC,1,0",
        f"m2,PL,{DAYS[1]}T19:00:00Z,FINISHED,Everton FC,Fulham FC,-2,0",  # negative score
        f"m3,PL,{DAYS[2]}T19:00:00Z,FINISHED,Brentford FC,Burnley FC,2,2",
        f"m4,PL,{DAYS[2]}T16:00:00Z,PLAYED,Leeds United FC,Luton Town FC,0,1",  # unknown status
    ]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _stored_rejected(data: Path) -> dict[str, Counter]:
    """Reasons of the rejected rows in the real raw partitions of the run's days."""
    folders = {"raw_orders": "dominos-orders", "raw_matches": "football-data"}
    out = {}
    for asset, folder in folders.items():
        counts: Counter = Counter()
        for day in DAYS:
            for path in (data / f"raw-data/{folder}/real/{day.replace('-', '/')}").glob("*.json"):
                counts.update(r["reason"] for r in json.loads(path.read_text())["rejected"])
        out[asset] = counts
    return out


@pytest.mark.slow
def test_rejected_counts_by_reason_equal_the_stored_rejected_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(settings.FOOTBALL_API_KEY, raising=False)  # imported matches, not the API
    data = tmp_path / "data"
    orders, matches = _orders_file(tmp_path / "orders.csv"), _matches_file(tmp_path / "matches.csv")
    assert main(["import", "orders", str(orders), "--data-dir", str(data)]) == 0
    assert main(["import", "matches", str(matches), "--data-dir", str(data)]) == 0
    capsys.readouterr()
    stored = _stored_rejected(data)
    assert sum(stored["raw_orders"].values()) == 5 and sum(stored["raw_matches"].values()) == 2
    assert len(stored["raw_orders"]) == 3 and len(stored["raw_matches"]) == 2
    [homeless] = (data / "imports/rejected/raw_orders").glob("*.json")
    assert json.loads(homeless.read_text())["rejected_count"] == 1

    run = ["run", "--start", DAYS[0], "--end", DAYS[-1], "--data-dir", str(data), "--quiet"]
    assert main(run) == 0
    out = capsys.readouterr().out

    [path] = (data / "processed-data/correlation-analysis").rglob("*_correlation_summary.json")
    rejected = json.loads(path.read_text())["data_quality"]["rejected"]
    assert rejected == {asset: dict(counts) for asset, counts in stored.items()}
    text = rejected_text(rejected)
    assert text.startswith("raw_orders 5 (3 × items must be from 1 to 1,000 · 1 × ")
    cli_line = f"Rows rejected on input in the analysis horizon (kept with their reasons): {text}."
    assert cli_line in out

    page = unescape((data / "reports/latest.html").read_text())
    quality = page[page.index("Data quality") :]
    assert f"<dt>rejected</dt><dd>{text}</dd>" in quality
    merged = [
        json.loads(p.read_text())["coverage"]["rejected"]
        for p in sorted((data / "processed-data/merged-datasets").rglob("*.json"))
    ]
    assert [sum(day["raw_orders"].values()) for day in merged] == [1, 2, 2]
    assert [sum(day["raw_matches"].values()) for day in merged] == [0, 1, 1]


def test_days_merged_before_rejected_rows_were_counted_are_not_zeros():
    counted = {"rejected": {"raw_orders": {"a": 2, "b": 1}, "raw_matches": {}}}
    later = {"rejected": {"raw_orders": {"b": 3}}}
    rejected = rejected_rows([counted, {"hours_present": 24}, later])
    assert rejected == {"raw_orders": {"b": 4, "a": 2}, "raw_matches": {}, "days_without_counts": 1}
    assert rejected_text(rejected) == (
        "raw_orders 6 (4 × b · 2 × a); raw_matches none; not known for 1 day(s) merged before "
        "rejected rows were counted (materialize merged_dataset for them again)"
    )
