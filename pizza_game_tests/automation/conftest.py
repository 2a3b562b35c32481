"""Fixtures for the automation tests: definitions over a temporary data directory, a real instance."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from pizza_game import settings
from pizza_game.definitions import make_definitions

# Variables that would point the code location at real APIs or a real bucket. DAGSTER_HOME stays:
# it is the session's own (../conftest.py).
OUTSIDE_WORLD = (
    settings.FOOTBALL_API_KEY,
    settings.DOMINOS_API_KEY,
    settings.DOMINOS_API_URL,
    settings.S3_BUCKET_NAME,
    settings.PIZZA_GAME_LOG_FORMAT,
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OUTSIDE_WORLD:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def defs(clean_env: None, data_dir: Path) -> dg.Definitions:
    return make_definitions(data_dir=str(data_dir), seed=7)


# Dagster's sqlite storage commits every event; on a memory file system that costs microseconds
# instead of the milliseconds of a disk, which decides how long a run of many partitions takes.
MEMORY_FS = Path("/dev/shm")


@contextmanager
def sqlite_instance() -> Iterator[dg.DagsterInstance]:
    """A persistent instance (sqlite in a temporary directory), as sensors and history lookups need."""
    base = MEMORY_FS if MEMORY_FS.is_dir() else None
    with tempfile.TemporaryDirectory(dir=base) as folder, dg.instance_for_test(temp_dir=folder) as instance:
        yield instance


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    """Shared by a module's tests: creating an instance takes a while."""
    with sqlite_instance() as instance:
        yield instance


@pytest.fixture
def fresh_instance() -> Iterator[dg.DagsterInstance]:
    """An instance of its own, for tests that read the history of materializations."""
    with sqlite_instance() as instance:
        yield instance
