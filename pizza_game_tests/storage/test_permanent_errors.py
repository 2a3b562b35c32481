"""A full disk, a read-only file system or a refused permission fails the run at once, in one line.

The raw assets carry a RetryPolicy (two retries, 30 s apart and growing) for outages; retrying a
write that no retry can fix only delays the failure. Tests run as root, where a read-only folder
still takes writes, so the file system's answer is simulated one level down: the store's folder
creation raises the OSError the kernel gives; the real LocalStore turns it into its StorageError.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pizza_game.definitions import ASSETS, FRESHNESS_CHECKS, JOBS, io_managers, make_resources
from pizza_game.resources.storage import StorageResource, storage_failures
from pizza_game.runner import PipelineError, run_pipeline
from pizza_game.storage.store import LocalStore, StorageError

HOUR = pd.Timestamp("2024-10-05T18:00", tz="UTC")


class RefusingStore(LocalStore):
    """A LocalStore whose file system refuses every new file under raw-data/ with ``code``."""

    def __init__(self, root: str, code: int):
        super().__init__(root)
        self.code = code

    def _folder(self, key: str) -> Path:
        if key.startswith("raw-data/"):
            raise OSError(self.code, os.strerror(self.code))
        return super()._folder(key)


class RefusingStorage(StorageResource):
    code: int

    def store(self):
        if self._store is None:
            self._store = RefusingStore(self.data_dir, self.code)
        return self._store


def _defs(data_dir: Path, code: int) -> dg.Definitions:
    resources = make_resources(data_dir=str(data_dir), seed=5)
    default_storage = resources["storage"]
    assert isinstance(default_storage, StorageResource)
    storage = RefusingStorage(data_dir=str(data_dir), s3=default_storage.s3, code=code)
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=FRESHNESS_CHECKS,
        jobs=JOBS,
        resources={**resources, "storage": storage, **io_managers(storage)},
    )


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_permanent_write_error_fails_the_run_after_one_attempt(tmp_path: Path, code: int):
    instance = dg.DagsterInstance.ephemeral()
    began = time.monotonic()
    with pytest.raises(PipelineError) as failure:
        run_pipeline(HOUR, HOUR + pd.Timedelta(hours=1), defs=_defs(tmp_path, code), instance=instance, collect_margin=False, log_level="ERROR")
    seconds = time.monotonic() - began
    message = str(failure.value)
    assert "\n" not in message and "Failure" not in message
    assert "raw_orders: cannot write raw-data/dominos-orders/" in message
    assert os.strerror(code) in message and "not retried" in message
    assert failure.value.run_id is not None
    events = instance.all_logs(failure.value.run_id)
    kinds = [e.dagster_event.event_type_value for e in events if e.dagster_event]
    assert kinds.count("STEP_START") == 1, kinds
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
    # The policy's first retry waits up to 30 s: a run that retried would take that long.
    assert seconds < 30, seconds


def test_a_transient_storage_error_is_left_to_the_retry_policy():
    with pytest.raises(StorageError), storage_failures("raw_orders"):
        raise StorageError("cannot write k under /d: Connection reset by peer")
    with pytest.raises(dg.Failure) as failure, storage_failures("raw_orders"):
        raise StorageError("cannot write k under /d: No space left on device", permanent=True)
    assert failure.value.allow_retries is False
    assert failure.value.description == "raw_orders: cannot write k under /d: No space left on device (not retried: retrying cannot fix this)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_data_dir_fails_at_once(tmp_path: Path):
    data = tmp_path / "data"
    (data / "raw-data").mkdir(parents=True)
    (data / "raw-data").chmod(0o555)
    resources = make_resources(data_dir=str(data), seed=5)
    defs = dg.Definitions(assets=ASSETS, asset_checks=FRESHNESS_CHECKS, jobs=JOBS, resources=resources)
    began = time.monotonic()
    with pytest.raises(PipelineError, match="not retried"):
        run_pipeline(HOUR, HOUR + pd.Timedelta(hours=1), defs=defs, instance=dg.DagsterInstance.ephemeral(), collect_margin=False, log_level="ERROR")
    assert time.monotonic() - began < 30
