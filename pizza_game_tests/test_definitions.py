"""The code location loads as Dagster loads it, and holds the whole lineage graph."""

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pizza_game.definitions import defs

REPO = Path(__file__).resolve().parents[1]
ASSETS = {
    "raw_orders", "raw_matches", "merged_dataset", "correlation_results", "significant_correlations",
    "correlation_summary", "match_windows", "dashboard_data", "quicksight_manifest", "dashboard_report",
}


# What `dg check defs` needs of a checkout: the package, the project files, the workspace.
CHECKOUT_FILES = ("pizza_game", "pyproject.toml", "setup.py", "workspace.yaml", "dagster.yaml")


# The two ways the project's definitions are checked from a checkout: dg (pyproject.toml's
# [tool.dg]) and the Dagster CLI on workspace.yaml (what `dagster dev` and the webserver load).
CHECKS = {
    "dg check defs": (["dg", "check", "defs"], "All definitions loaded successfully"),
    "dagster definitions validate": (
        ["dagster", "definitions", "validate", "-w", "workspace.yaml"],
        "All code locations passed validation",
    ),
}


def check_definitions(check: str, checkout: Path, home: Path) -> subprocess.CompletedProcess:
    """``check`` run in ``checkout``, as a user runs it from the repository root."""
    command, _ = CHECKS[check]
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return subprocess.run(
        [str(Path(sys.executable).with_name(command[0])), *command[1:]],
        capture_output=True, text=True, cwd=checkout, timeout=300,
        env={"PATH": str(Path(sys.executable).parent), "DAGSTER_HOME": str(home), "HOME": str(home)},
    )


@pytest.mark.parametrize("check", CHECKS)
def test_the_definitions_of_the_checkout_pass_the_check(check, tmp_path):
    done = check_definitions(check, REPO, tmp_path / "home")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert CHECKS[check][1] in done.stdout + done.stderr


@pytest.mark.parametrize("check", CHECKS)
def test_a_checkout_whose_definitions_are_broken_fails_the_check(check, tmp_path):
    # The same package, copied, with definitions.py broken: the check must judge this copy (one
    # that loaded the installed package instead would still pass).
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in CHECKOUT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, checkout / name)
    with (checkout / "pizza_game" / "definitions.py").open("a") as definitions:
        definitions.write('\nraise RuntimeError("definitions deliberately broken by the test")\n')
    done = check_definitions(check, checkout, tmp_path / "home")
    assert done.returncode != 0
    assert "definitions deliberately broken by the test" in done.stdout + done.stderr


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
