"""Preparing the Lambda process: writable paths, the Dagster instance, API keys from SSM."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pizza_game.instance import ephemeral_instance
from pizza_game.lambda_runtime import api_keys_from_ssm, prepare_writable_root, writable_environ
from pizza_game.settings import PIZZA_GAME_DATA_DIR


def test_every_writable_path_is_under_the_root(tmp_path: Path) -> None:
    paths = writable_environ(tmp_path)
    assert {"HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"} <= set(paths)
    assert paths["DAGSTER_DISABLE_TELEMETRY"] == "1"
    for name, value in paths.items():
        if name != "DAGSTER_DISABLE_TELEMETRY":
            assert Path(value).is_relative_to(tmp_path), name


def test_prepare_creates_the_directories(tmp_path: Path) -> None:
    environ: dict[str, str] = {"HOME": "/home/sbx_user1051", "KEEP": "me"}
    workdir = prepare_writable_root(tmp_path, environ)

    assert environ["HOME"] == str(tmp_path / "home")
    assert environ["KEEP"] == "me"
    assert environ[PIZZA_GAME_DATA_DIR] == str(tmp_path / "pizza-game-data")
    assert workdir.is_dir() and workdir.is_relative_to(tmp_path)
    for name in ("HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        assert Path(environ[name]).is_dir(), name
    assert "DAGSTER_HOME" not in environ


def test_prepare_keeps_an_explicit_local_data_dir(tmp_path: Path) -> None:
    environ = {PIZZA_GAME_DATA_DIR: str(tmp_path / "mine")}
    prepare_writable_root(tmp_path / "root", environ)
    assert environ[PIZZA_GAME_DATA_DIR] == str(tmp_path / "mine")


def test_the_lambda_instance_is_in_memory_without_telemetry_and_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ: dict[str, str] = {}
    prepare_writable_root(tmp_path, environ)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again, as a fresh process does
    before = sorted(tmp_path.rglob("*"))

    @dg.asset
    def probe() -> int:
        return 1

    with ephemeral_instance() as instance:
        assert instance.is_ephemeral and not instance.telemetry_enabled
        assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
        result = dg.materialize([probe], instance=instance)
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None
        # Its artifact folder, made on first use, is under TMPDIR and goes with the instance.
        assert Path(instance.storage_directory()).is_relative_to(environ["TMPDIR"])
    assert sorted(tmp_path.rglob("*")) == before


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
