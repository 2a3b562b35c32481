"""Shared fixtures: a Dagster home of the session's own, a moto S3 server, one fresh bucket per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pizza_game_tests.s3_server import DUMMY_CREDENTIALS, REAL_ACCOUNT_VARIABLES, MotoS3, start_moto


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DAGSTER_HOME in a temporary folder: runs without an instance of their own never reach the
    checkout's .dagster/ (the default instance, pizza_game/instance.py)."""
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        yield str(home)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """moto in server mode on 127.0.0.1; dummy credentials, so no test can reach a real account."""
    with pytest.MonkeyPatch.context() as patch:
        for name in REAL_ACCOUNT_VARIABLES:
            patch.delenv(name, raising=False)
        for name, value in DUMMY_CREDENTIALS.items():
            patch.setenv(name, value)
        moto = start_moto()
        try:
            yield moto
        finally:
            moto.server.stop()


@pytest.fixture
def s3_bucket(moto_s3: MotoS3) -> str:
    """The name of a new, empty bucket on the moto server."""
    return moto_s3.new_bucket()
