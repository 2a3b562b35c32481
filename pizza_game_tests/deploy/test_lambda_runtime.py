"""Preparing the Lambda process: writable paths, the Dagster instance config, API keys from SSM."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pizza_game.lambda_runtime import api_keys_from_ssm, prepare_writable_root, writable_environ
from pizza_game.settings import PIZZA_GAME_DATA_DIR

DAGSTER_YAML = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"


def test_every_writable_path_is_under_the_root(tmp_path: Path) -> None:
    paths = writable_environ(tmp_path)
    assert {"HOME", "TMPDIR", "DAGSTER_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"} <= set(paths)
    assert paths["DAGSTER_DISABLE_TELEMETRY"] == "1"
    for name, value in paths.items():
        if name != "DAGSTER_DISABLE_TELEMETRY":
            assert Path(value).is_relative_to(tmp_path), name


def test_prepare_creates_the_directories_and_installs_dagster_yaml(tmp_path: Path) -> None:
    environ: dict[str, str] = {"HOME": "/home/sbx_user1051", "KEEP": "me"}
    workdir = prepare_writable_root(tmp_path, DAGSTER_YAML, environ)

    assert environ["HOME"] == str(tmp_path / "home")
    assert environ["KEEP"] == "me"
    assert environ[PIZZA_GAME_DATA_DIR] == str(tmp_path / "pizza-game-data")
    assert workdir.is_dir() and workdir.is_relative_to(tmp_path)
    for name in ("HOME", "TMPDIR", "DAGSTER_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert Path(environ[name]).is_dir(), name
    installed = Path(environ["DAGSTER_HOME"]) / "dagster.yaml"
    assert installed.read_bytes() == DAGSTER_YAML.read_bytes()


def test_prepare_keeps_an_explicit_local_data_dir(tmp_path: Path) -> None:
    environ = {PIZZA_GAME_DATA_DIR: str(tmp_path / "mine")}
    prepare_writable_root(tmp_path / "root", DAGSTER_YAML, environ)
    assert environ[PIZZA_GAME_DATA_DIR] == str(tmp_path / "mine")


def test_lambda_instance_keeps_its_state_in_dagster_home_without_telemetry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ: dict[str, str] = {}
    prepare_writable_root(tmp_path, DAGSTER_YAML, environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    @dg.asset
    def probe() -> int:
        return 1

    with dg.DagsterInstance.get() as instance:
        assert not instance.telemetry_enabled
        assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
        result = dg.materialize([probe], instance=instance)
        assert result.success
    assert (Path(environ["DAGSTER_HOME"]) / "history" / "runs.db").is_file()
    written_outside = [
        path
        for path in tmp_path.rglob("*")
        if path.is_file() and not path.is_relative_to(environ["DAGSTER_HOME"])
    ]
    assert written_outside == []


def secure_parameters(aws_client: Callable[[str], Any], **values: str) -> dict[str, str]:
    """Store each value as a SecureString under a fresh name; return {variable: name}."""
    ssm = aws_client("ssm")
    prefix = f"/pizza-game-test/{uuid.uuid4().hex}"
    names = {}
    for variable, value in values.items():
        names[variable] = f"{prefix}/{variable.lower()}"
        ssm.put_parameter(Name=names[variable], Value=value, Type="SecureString")
    return names


def test_api_keys_are_read_decrypted_from_ssm(aws_client: Callable[[str], Any]) -> None:
    names = secure_parameters(aws_client, FOOTBALL_API_KEY="f00tba11", DOMINOS_API_KEY="d0m1n05")
    assert api_keys_from_ssm(aws_client("ssm"), names) == {
        "FOOTBALL_API_KEY": "f00tba11",
        "DOMINOS_API_KEY": "d0m1n05",
    }


def test_no_parameters_means_no_ssm_call() -> None:
    assert api_keys_from_ssm(None, {}) == {}


def test_missing_parameter_is_named_with_its_variable(aws_client: Callable[[str], Any]) -> None:
    names = secure_parameters(aws_client, FOOTBALL_API_KEY="f00tba11")
    names["DOMINOS_API_KEY"] = "/pizza-game-test/absent"
    with pytest.raises(
        ValueError, match="/pizza-game-test/absent \\(for DOMINOS_API_KEY\\)"
    ) as error:
        api_keys_from_ssm(aws_client("ssm"), names)
    assert "f00tba11" not in str(error.value)


def test_plain_string_parameter_is_refused_without_showing_it(
    aws_client: Callable[[str], Any],
) -> None:
    name = f"/pizza-game-test/{uuid.uuid4().hex}/plain"
    aws_client("ssm").put_parameter(Name=name, Value="pl41nk3y", Type="String")
    with pytest.raises(ValueError, match="not SecureString") as error:
        api_keys_from_ssm(aws_client("ssm"), {"FOOTBALL_API_KEY": name})
    assert name in str(error.value)
    assert "pl41nk3y" not in str(error.value)
