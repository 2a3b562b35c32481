"""The Dagster resource naming where the bucket layout lives: an S3 bucket or a local directory."""

from __future__ import annotations

import dagster as dg
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from pizza_game.storage.s3 import S3Store
from pizza_game.storage.store import LocalStore, ObjectStore


class StorageResource(dg.ConfigurableResource):
    """The bucket layout's root: ``s3://bucket/`` when ``bucket`` is set, else ``data_dir``.

    The S3 client comes from dagster-aws's S3Resource (endpoint, region, credentials, and botocore's
    standard retry mode, which retries transient 500/503 SlowDown answers).
    """

    data_dir: str = "pizza-game-data"
    bucket: str | None = None
    sse: str = "AES256"
    kms_key_id: str | None = None
    s3: S3Resource
    _store: ObjectStore | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Fail at the start of a run, with one clear message, if the store cannot be used."""
        self.store().check()

    def store(self) -> ObjectStore:
        if self._store is None:
            if self.bucket:
                self._store = S3Store(self.s3.get_client(), self.bucket, sse=self.sse, kms_key_id=self.kms_key_id)
            else:
                self._store = LocalStore(self.data_dir)
        return self._store

    def describe(self) -> str:
        return self.store().uri("")
