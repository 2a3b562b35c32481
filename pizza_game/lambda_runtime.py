"""Preparing an AWS Lambda process before Dagster is imported.

Lambda's filesystem is read-only except ``/tmp``, HOME included, and botocore, the XDG-aware
libraries and Dagster (an ephemeral instance's artifact folder) write caches and state under HOME
and TMPDIR. ``writable_environ`` points every such path under one writable root. No DAGSTER_HOME:
each invocation runs on an in-memory Dagster instance (deploy/lambda_handler.py). API keys live in
SSM Parameter Store as SecureStrings; ``api_keys_from_ssm`` reads them once per cold start into
the environment variables the Dagster resources already read (FOOTBALL_API_KEY, DOMINOS_API_KEY).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from pizza_game.settings import PIZZA_GAME_DATA_DIR


def writable_environ(root: Path) -> dict[str, str]:
    """Environment variables that send every library's writable state under ``root``."""
    home = root / "home"
    return {
        "HOME": str(home),
        "TMPDIR": str(root / "tmp"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        # Telemetry is also off in the instance's settings; this stops the upload thread outright.
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }


def prepare_writable_root(root: Path, environ: MutableMapping[str, str]) -> Path:
    """Point ``environ`` under ``root`` and create the directories; return the working directory
    to use (inside ``root``).

    PIZZA_GAME_DATA_DIR (the local store, used only when S3_BUCKET_NAME is unset) keeps an
    explicit value and otherwise moves under ``root`` too.
    """
    paths = writable_environ(root)
    environ.update(paths)
    environ.setdefault(PIZZA_GAME_DATA_DIR, str(root / "pizza-game-data"))
    for name, value in paths.items():
        if name != "DAGSTER_DISABLE_TELEMETRY":
            Path(value).mkdir(parents=True, exist_ok=True)
    workdir = root / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def api_keys_from_ssm(ssm_client: Any, parameters: Mapping[str, str]) -> dict[str, str]:
    """``{variable: decrypted value}`` for ``parameters`` (``{variable: SSM parameter name}``).

    Every parameter must exist and be a SecureString; errors name the parameter and the variable,
    never a value.
    """
    if not parameters:
        return {}
    names = sorted(set(parameters.values()))
    response = ssm_client.get_parameters(Names=names, WithDecryption=True)
    variable_of = {name: variable for variable, name in parameters.items()}
    missing = response.get("InvalidParameters", [])
    if missing:
        listed = ", ".join(f"{name} (for {variable_of[name]})" for name in sorted(missing))
        raise ValueError(
            f"SSM parameter(s) not found: {listed}; create them as SecureString or correct the "
            "parameter names in the function's environment"
        )
    found = {item["Name"]: item for item in response["Parameters"]}
    plain = sorted(name for name, item in found.items() if item["Type"] != "SecureString")
    if plain:
        raise ValueError(
            f"SSM parameter(s) {plain} are not SecureString; store API keys encrypted "
            "(aws ssm put-parameter --type SecureString --overwrite)"
        )
    return {variable: found[name]["Value"] for variable, name in parameters.items()}
