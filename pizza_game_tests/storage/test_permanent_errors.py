"""A full disk, a read-only file system or a refused permission fails the run at once, in one line.

The raw assets carry a RetryPolicy (two retries, 30 s apart and growing) for outages; retrying a
write that no retry can fix only delays the failure. Tests run as root, where a read-only folder
still takes writes, so the file system's answer is simulated one level down: the store's folder
creation raises the OSError the kernel gives; the real LocalStore turns it into its StorageError.
"""

from __future__ import annotations

import errno
import os
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

    def __init__(self, root: str, code: int, refusals: Path):
        super().__init__(root)
        self.code = code
        self.refusals = refusals

    def _folder(self, key: str) -> Path:
        if key.startswith("raw-data/"):
            with self.refusals.open("a") as log:
                log.write(key + "\n")
            raise OSError(self.code, os.strerror(self.code))
        return super()._folder(key)


class RefusingStorage(StorageResource):
    code: int
    refusals: str  # a file listing every key refused, one a line, across stores and attempts

    def store(self):
        if self._store is None:
            self._store = RefusingStore(self.data_dir, self.code, Path(self.refusals))
        return self._store


def _defs(data_dir: Path, code: int, refusals: Path) -> dg.Definitions:
    resources = make_resources(data_dir=str(data_dir), seed=5)
    default_storage = resources["storage"]
    assert isinstance(default_storage, StorageResource)
    storage = RefusingStorage(data_dir=str(data_dir), s3=default_storage.s3, code=code, refusals=str(refusals))
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=FRESHNESS_CHECKS,
        jobs=JOBS,
        resources={**resources, "storage": storage, **io_managers(storage)},
    )


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_permanent_write_error_fails_the_run_after_one_attempt(tmp_path: Path, code: int):
    instance = dg.DagsterInstance.ephemeral()
    refusals = tmp_path / "refusals.txt"
    with pytest.raises(PipelineError) as failure:
        run_pipeline(HOUR, HOUR + pd.Timedelta(hours=1), defs=_defs(tmp_path / "data", code, refusals), instance=instance, collect_margin=False, log_level="ERROR")
    message = str(failure.value)
    assert "\n" not in message and "Failure" not in message
    assert "raw_orders: cannot write raw-data/dominos-orders/" in message
    assert os.strerror(code) in message and "not retried" in message
    assert failure.value.run_id is not None
    events = instance.all_logs(failure.value.run_id)
    kinds = [e.dagster_event.event_type_value for e in events if e.dagster_event]
    assert kinds.count("STEP_START") == 1, kinds
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
    # Each refused write was tried once: a retry (by the step's policy or the store) writes again.
    refused = refusals.read_text().splitlines()
    assert refused and len(refused) == len(set(refused)), refused


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
    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(PipelineError, match="not retried") as failure:
        run_pipeline(HOUR, HOUR + pd.Timedelta(hours=1), defs=defs, instance=instance, collect_margin=False, log_level="ERROR")
    assert failure.value.run_id is not None
    kinds = [e.dagster_event.event_type_value for e in instance.all_logs(failure.value.run_id) if e.dagster_event]
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
