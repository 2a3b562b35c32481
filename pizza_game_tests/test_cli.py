"""The `pizza-game` command as a user meets it: bad input gets one line and a non-zero exit."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pizza_game.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "pizza_game.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-10-10", "--end", "2024-10-01"], "--end 2024-10-01 is before --start 2024-10-10"),
        (["--start", "2014-12-01", "--end", "2014-12-02"], "before the first partition (2015-01-01)"),
        (["--start", "2999-01-01", "--end", "2999-01-02"], "is in the future"),
    ],
)
def test_bad_dates_give_one_line_and_exit_2(tmp_path, args, message):
    done = _cli("run", *args, "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") <= 1


def test_malformed_date_is_an_argument_error():
    done = _cli("run", "--start", "2024-13-01")
    assert done.returncode == 2 and "not a date in YYYY-MM-DD form: '2024-13-01'" in done.stderr


def test_unusable_data_dir_gives_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = _cli("run", "--start", "2024-10-01", "--end", "2024-10-01", "--data-dir", str(blocker))
    assert done.returncode == 2
    assert "is not writable" in done.stderr and "Traceback" not in done.stderr


def test_import_orders_lands_real_partitions_and_reports_rejects(tmp_path, capsys):
    data = tmp_path / "data"
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "order_id,date,time,store_id,region,items,total\n"
        "a1,2024-03-30,23:30:00,s1,London,2,20.5\n"
        "a2,2024-03-31,01:30:00,s1,London,1,9.5\n"  # skipped by the clock change in London
        "a3,2024-03-31,02:15:00,s1,London,-1,9.5\n"
        "a4,2024-03-31,02:15:00,s2,Wales,3,31.0\n"
    )
    assert main(["import", "orders", str(csv), "--timezone", "Europe/London", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "imported 2 orders" in out and "2 rows rejected" in out
    assert "raw_orders partitions 2024-03-30-23:00 to 2024-03-31-01:00 (3 touched)" in out
    folder = data / "raw-data/dominos-orders/real/2024/03"
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json"))
    assert written == ["30/20240330_230000_orders.json", "31/20240331_000000_orders.json", "31/20240331_010000_orders.json"]


def test_import_of_a_missing_file_is_one_line(tmp_path):
    done = _cli("import", "orders", str(tmp_path / "nope.csv"), "--timezone", "UTC", "--data-dir", str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "nope.csv" in done.stderr


@pytest.mark.slow
def test_run_analyses_imported_real_matches(tmp_path, capsys):
    """Real fixtures (openfootball, UK local times) imported, then analysed against mock orders."""
    data = tmp_path / "data"
    fixtures = SHARED / "fixtures" / "openfootball__2015-16__en.1.json"
    assert main(["import", "matches", str(fixtures), "--timezone", "Europe/London", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert main(["run", "--start", "2015-09-12", "--end", "2015-09-20", "--data-dir", str(data), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "matches (100% real)" in out
    matches = sorted((data / "raw-data/football-data/real/2015/09").rglob("*.json"))
    assert len(matches) >= 9
    assert not (data / "raw-data/football-data/mock").exists()
    summary = pd.read_json(next((data / "processed-data/correlation-analysis").rglob("*_correlation_summary.json")), typ="series")
    assert summary["data_quality"]["matches"] > 0


def test_run_says_what_anomalies_were_found_and_which_scales_were_not_tested(tmp_path, capsys):
    """Eight mock days: the command line gives the anomaly counts per scale and the scales not
    tested with their reasons, the same figures as the stored summary."""
    data = tmp_path / "data"
    assert main(["run", "--start", "2024-10-01", "--end", "2024-10-08", "--data-dir", str(data), "--quiet"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(next((data / "processed-data/correlation-analysis").rglob("*_correlation_summary.json")).read_text())
    spikes = summary["spikes"]
    (line,) = [text for text in out.splitlines() if text.startswith("Anomalies (")]
    for scale, v in spikes["by_scale"].items():
        assert f"{scale} {v['anomalies']:,} of {v['tested']:,} tested" in line
    assert f"{spikes['in_match_windows']:,} of {spikes['count']:,} in match windows" in line
    untested = [item for v in spikes["by_scale"].values() for item in v["not_tested"]]
    assert untested  # eight days: the window scale lacks its match-free reference days
    (reasons,) = [text for text in out.splitlines() if text.startswith("Not tested: ")]
    assert all(item["reason"] in reasons for item in untested)
    assert "needs at least 8 match-free reference days at the window's time of day" in reasons


@pytest.mark.slow
def test_gaps_in_imported_orders_are_missing_hours_not_mock_orders(tmp_path, capsys):
    data = tmp_path / "data"
    csv = tmp_path / "orders.csv"
    rows = [f"o{i},2024-10-08T{10 + i % 3:02d}:{i % 60:02d}:00Z,s1,London,1,10.0" for i in range(60)]
    csv.write_text("order_id,ordered_at,store_id,region,items,total\n" + "\n".join(rows) + "\n")
    assert main(["import", "orders", str(csv), "--data-dir", str(data)]) == 0
    assert main(["run", "--start", "2024-10-08", "--end", "2024-10-08", "--data-dir", str(data), "--quiet"]) == 0
    assert "60 orders (100% real)" in capsys.readouterr().out
    assert not (data / "raw-data/dominos-orders/mock").exists()
    merged = json.loads((data / "processed-data/merged-datasets/2024/10/08/20241008_000000_merged_data.json").read_text())
    assert merged["coverage"]["hours_present"] == 3
    assert len(merged["coverage"]["hours_missing"]) == 21


# Warnings as a command meets them: Dagster's beta and preview notices, a deprecation that Dagster
# attributes to its own module, one attributed to ours. Deprecations are shown (-W default).
WARNINGS_PROBE = """
import sys, warnings
import dagster as dg
from pizza_game import cli

def command(args):
    warnings.warn_explicit("Parameter `backfill_policy` of function `asset` is currently in beta, and may have breaking "
                           "changes in minor version releases.", dg.BetaWarning, "raw.py", 1, module="pizza_game.assets.raw")
    warnings.warn_explicit("Class `X` is currently in preview, and may have breaking changes in patch version releases.",
                           dg.PreviewWarning, "raw.py", 2, module="pizza_game.assets.raw")
    warnings.warn_explicit("InitResourceContext.dagster_run is deprecated", DeprecationWarning, "init.py", 3,
                           module="dagster._core.execution.context.init")
    warnings.warn_explicit("old_api is deprecated", DeprecationWarning, "raw.py", 4, module="pizza_game.assets.raw")
    return 0

cli.COMMANDS["run"] = command
sys.exit(cli.main(["run"]))
"""


def test_the_cli_hides_beta_and_preview_notices_but_no_deprecation():
    done = subprocess.run(
        [sys.executable, "-W", "default::DeprecationWarning", "-c", WARNINGS_PROBE],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "currently in beta" not in done.stderr
    assert "currently in preview" not in done.stderr
    assert "InitResourceContext.dagster_run is deprecated" in done.stderr
    assert "old_api is deprecated" in done.stderr
