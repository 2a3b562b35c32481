"""Finding stored objects by listing the store: which keys exist, the newest dated object.

Dated keys are ``prefix/YYYY/MM/DD/YYYYMMDD_HHMMSS_name`` (layout.py), so the newest is found by
walking the folders from the end: a few listings, however long the history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import pandas as pd

from pizza_game.storage import layout
from pizza_game.storage.store import ObjectStore

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def existing(store: ObjectStore, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that are stored, found by listing their folders (not one probe per key)."""
    wanted = set(keys)
    folders = sorted({key.rsplit("/", 1)[0] + "/" for key in wanted})
    return {key for folder in folders for key in store.list(folder) if key in wanted}


def newest_day(store: ObjectStore, prefix: str) -> pd.Timestamp | None:
    """The newest ``prefix/YYYY/MM/DD/`` folder's day."""
    folder = _newest_folder(store, f"{prefix}/", None)
    return None if folder is None else pd.Timestamp(layout.folder_day(folder), tz="UTC")


def newest_dated_key(store: ObjectStore, key_of: Callable[[datetime], str], day: pd.Timestamp | None) -> str | None:
    """The newest key ``key_of`` gives that is stored and stamped on ``day`` or before (None: any day)."""
    parsed = layout.parse_dated(key_of(_EPOCH))
    assert parsed is not None, "key_of must give dated keys"
    prefix, _, name = parsed
    limit = None if day is None else layout.day_folder(prefix, day)
    folders = _day_folders(store, f"{prefix}/", limit)
    for folder in folders:
        keys = [key for key in store.list(folder) if (p := layout.parse_dated(key)) and p[0] == prefix and p[2] == name]
        if keys:
            return max(keys)
    return None


def _day_folders(store: ObjectStore, folder: str, limit: str | None, depth: int = 0) -> Iterable[str]:
    """The ``YYYY/MM/DD/`` folders under ``folder`` at or before ``limit``, newest first (lazily)."""
    for child in reversed(store.list_dirs(folder)):
        if limit is not None and child > limit[: len(child)]:
            continue
        if depth == 2:
            yield child
        else:
            yield from _day_folders(store, child, limit, depth + 1)


def _newest_folder(store: ObjectStore, folder: str, limit: str | None) -> str | None:
    return next(iter(_day_folders(store, folder, limit)), None)

