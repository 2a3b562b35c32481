"""The Dagster resource naming where the bucket layout lives."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from pizza_game.storage.store import LocalStore, ObjectStore


class StorageResource(dg.ConfigurableResource):
    """The bucket layout's root: the local directory ``data_dir`` (the embedded default)."""

    data_dir: str = "pizza-game-data"
    _store: ObjectStore | None = PrivateAttr(default=None)

    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = LocalStore(self.data_dir)
        return self._store

    def describe(self) -> str:
        return self.store().uri("")
