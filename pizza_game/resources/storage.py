"""The storage resource: where the bucket layout lives, an S3 bucket or a local directory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import PrivateAttr

from pizza_game.resources.s3_client import S3ClientResource
from pizza_game.storage.store import LocalStore, ObjectStore, StorageError


@contextmanager
def storage_failures(asset: str) -> Iterator[None]:
    """A storage error no retry can fix (disk full, read-only file system, permission denied)
    fails the step at once, with one line, instead of waiting out the step's RetryPolicy."""
    try:
        yield
    except StorageError as error:
        if not error.permanent:
            raise
        raise dg.Failure(description=f"{asset}: {error} (not retried: retrying cannot fix this)", allow_retries=False) from None


class StorageResource(dg.ConfigurableResource):
    """The bucket layout's root: ``s3://bucket/`` when ``bucket`` is set, else ``data_dir``."""

    data_dir: str = "pizza-game-data"
    bucket: str | None = None
    sse: str = "AES256"
    kms_key_id: str | None = None
    s3: S3ClientResource
    _store: ObjectStore | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail at the start of a run, with one clear message, if the store cannot be used."""
        self.store().check()

    def store(self) -> ObjectStore:
        if self._store is None:
            if self.bucket:
                from pizza_game.storage.s3 import S3Store

                self._store = S3Store(self.s3.get_client(), self.bucket, sse=self.sse, kms_key_id=self.kms_key_id)
            else:
                self._store = LocalStore(self.data_dir)
        return self._store

    def describe(self) -> str:
        return self.store().uri("")
