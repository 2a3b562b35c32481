"""The Dagster instance: one for the `pizza-game` command and the Dagster UI, so CLI runs show up there.

Which instance (its ``DAGSTER_HOME``):

1. ``DAGSTER_HOME`` when it is set (Lambda sets it; so can you).
2. Run from a checkout (this package sits beside workspace.yaml and dagster.yaml): the checkout's
   git-ignored ``.dagster/`` folder, configured by the checkout's dagster.yaml (linked there).
   `make ui` (`pizza-game ui`) opens the same one.
3. Installed elsewhere: ``~/.pizza-game/dagster``, configured with ``INSTANCE_SETTINGS``.

Every piece of state Dagster writes (run and event storage, schedules, compute logs, ``.nux``,
``.telemetry``) goes under that folder, whatever the current directory. ``--ephemeral-instance``
keeps a run in memory instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import yaml

# What dagster.yaml says (a test keeps the two equal): no telemetry; our modules' Python loggers
# (e.g. the API clients' retries) go through each run's loggers, with its run id.
INSTANCE_SETTINGS = {"telemetry": {"enabled": False}, "python_logs": {"managed_python_loggers": ["pizza_game"]}}
CHECKOUT = Path(__file__).resolve().parents[1]
STATE_FOLDER = ".dagster"
USER_HOME = Path("~/.pizza-game/dagster")


def checkout_root() -> Path | None:
    """The repository this package runs from, or None when it is installed elsewhere."""
    if (CHECKOUT / "workspace.yaml").is_file() and (CHECKOUT / "dagster.yaml").is_file():
        return CHECKOUT
    return None


def instance_home(environ: Mapping[str, str] = os.environ) -> Path:
    """The DAGSTER_HOME of the default instance (the rule in this module's docstring)."""
    if environ.get("DAGSTER_HOME", "").strip():
        return Path(environ["DAGSTER_HOME"].strip()).expanduser()
    root = checkout_root()
    return root / STATE_FOLDER if root else USER_HOME.expanduser()


def prepare_home(home: Path) -> Path:
    """Creates ``home`` and its dagster.yaml if missing (a link to the checkout's, else ours)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if config.exists() or config.is_symlink():
        return home
    root = checkout_root()
    if root and home == root / STATE_FOLDER:
        config.symlink_to(Path("..") / "dagster.yaml")
    else:
        config.write_text(yaml.safe_dump(INSTANCE_SETTINGS, sort_keys=False))
    return home


def default_instance() -> dg.DagsterInstance:
    """The persistent instance the UI opens (see the module docstring)."""
    if os.environ.get("DAGSTER_HOME", "").strip():
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.from_config(str(prepare_home(instance_home())))


def ephemeral_instance() -> dg.DagsterInstance:
    """An in-memory instance: nothing is kept once the process ends."""
    return dg.DagsterInstance.ephemeral(settings=INSTANCE_SETTINGS)
