"""The layers of docs/architecture.md, enforced: the core never imports Dagster, and no module
imports from a layer above its own.

``LAYERS`` lists the layers from the bottom up; a module may import its own layer and the layers
below. Every module of the package must belong to exactly one layer, so a new module is placed
on purpose. Everything below ``shell`` is the core and must import without Dagster.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pizza_game"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # The shared domain types and rules every layer uses.
    (
        "model",
        (
            "pizza_game.model",
            "pizza_game.schema",
            "pizza_game.normalize",
            "pizza_game.settings",
            "pizza_game.team_names",
            "pizza_game.progress",
            "pizza_game.partition_keys",
        ),
    ),
    ("storage", ("pizza_game.storage",)),
    ("collectors", ("pizza_game.collectors",)),
    ("analysis", ("pizza_game.analysis",)),
    ("quicksight", ("pizza_game.quicksight",)),
    ("quality", ("pizza_game.quality",)),
    ("report", ("pizza_game.report",)),
    # Dagster and the processes that run it: the CLI, the Lambda handler's helpers.
    (
        "shell",
        (
            "pizza_game.assets",
            "pizza_game.resources",
            "pizza_game.partitions",
            "pizza_game.automation",
            "pizza_game.definitions",
            "pizza_game.instance",
            "pizza_game.runner",
            "pizza_game.log_format",
            "pizza_game.cli",
            "pizza_game.metrics",
            "pizza_game.lambda_backfill",
            "pizza_game.lambda_budget",
            "pizza_game.lambda_event",
            "pizza_game.lambda_lock",
            "pizza_game.lambda_runtime",
        ),
    ),
]
SHELL = len(LAYERS) - 1


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    """The index in LAYERS of ``module`` (None for the package itself or an unplaced module)."""
    found = [i for i, (_, prefixes) in enumerate(LAYERS) for p in prefixes if module == p or module.startswith(p + ".")]
    return found[0] if len(found) == 1 else None


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of the package in ``path``, also inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("pizza_game.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pizza_game":
                # ``from pizza_game import settings``: the names are modules.
                found += [(node.lineno, f"pizza_game.{alias.name}") for alias in node.names]
            elif node.module.startswith("pizza_game."):
                found.append((node.lineno, node.module))
    return found


CORE = sorted(m for m in MODULES if (layer := layer_of(m)) is not None and layer < SHELL)


def test_every_module_has_one_layer():
    unplaced = [m for m in MODULES if m != "pizza_game" and layer_of(m) is None]
    assert not unplaced, f"modules in no layer (or in two) of {__file__}: {unplaced}"


def test_no_import_from_a_higher_layer():
    wrong = []
    for module, path in MODULES.items():
        own = layer_of(module)
        if own is None:
            continue
        for line, target in imported_modules(path):
            theirs = layer_of(target)
            if theirs is not None and theirs > own:
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {module} ({LAYERS[own][0]}) imports "
                    f"{target} ({LAYERS[theirs][0]})"
                )
    assert not wrong, "imports from a higher layer:\n" + "\n".join(wrong)


# Run in a fresh interpreter: records who imports Dagster first, then reports whether it was.
PROBE = """
import importlib, sys, traceback

class Watch:
    chain = None
    def find_spec(self, name, path=None, target=None):
        if name == "dagster" and Watch.chain is None:
            Watch.chain = [f"{f.filename}:{f.lineno}" for f in traceback.extract_stack() if "pizza_game" in f.filename]
        return None

sys.meta_path.insert(0, Watch())
importlib.import_module(sys.argv[1])
if "dagster" in sys.modules:
    print("dagster imported via:", *(Watch.chain or ["?"]), sep="\\n  ")
    sys.exit(1)
"""


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_without_dagster(module):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
        timeout=120,
    )
    assert result.returncode == 0, f"{module}: {result.stdout}{result.stderr}"


def test_the_core_is_not_empty():
    # The parametrized test above would pass vacuously if the layer table matched nothing.
    assert {"pizza_game.model", "pizza_game.storage.landing", "pizza_game.collectors.drop_area"} <= set(CORE)
    assert len(CORE) > 40

