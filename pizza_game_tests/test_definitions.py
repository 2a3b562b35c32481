"""The code location loads as Dagster loads it, and holds the whole lineage graph."""

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pizza_game.definitions import defs

REPO = Path(__file__).resolve().parents[1]
ASSETS = {
    "raw_orders", "raw_matches", "merged_dataset", "correlation_results", "significant_correlations",
    "correlation_summary", "match_windows", "dashboard_data", "quicksight_manifest", "dashboard_report",
}


def test_dagster_definitions_validate_passes(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w", str(REPO / "workspace.yaml")],
        capture_output=True, text=True, cwd=REPO, env={"PATH": str(Path(sys.executable).parent), "DAGSTER_HOME": str(tmp_path)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_the_lineage_graph_is_the_design():
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == ASSETS
    parents = lambda name: {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}  # noqa: E731
    assert parents("merged_dataset") == {"raw_orders", "raw_matches"}
    assert parents("correlation_results") == {"merged_dataset"}
    assert parents("significant_correlations") == {"correlation_results"}
    assert parents("match_windows") == {"merged_dataset"}
    assert parents("dashboard_data") == {"correlation_results", "correlation_summary"}
    assert parents("quicksight_manifest") == {"dashboard_data", "correlation_summary", "dashboard_report"}
    assert parents("dashboard_report") == {"dashboard_data", "correlation_summary"}
