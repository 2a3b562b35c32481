"""Read-modify-write of one object that concurrent writers cannot undo: compare and swap, retried.

Every writer reads the object with its version, computes the new content and writes it only if
the object is still at that version (``ObjectStore.put_if_version``: an ``fcntl`` lock locally,
a conditional PUT on S3). A writer that lost the race reads again and merges into what the
winner wrote, so no writer's rows are dropped.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from pizza_game.storage.store import ObjectStore, StorageError

MAX_ATTEMPTS = 50
MAX_PAUSE = 0.05


def read_modify_write(
    store: ObjectStore, key: str, change: Callable[[bytes | None], bytes | None], content_type: str
) -> bytes | None:
    """Replace the object at ``key`` with ``change(current bytes or None)``; None writes nothing.

    Returns what was written (None when ``change`` asked for nothing).
    """
    for attempt in range(MAX_ATTEMPTS):
        data, version = store.get_version(key)
        new = change(data)
        if new is None:
            return None
        if store.put_if_version(key, new, content_type, version):
            return new
        time.sleep(random.uniform(0, MAX_PAUSE * min(attempt + 1, 5)))
    raise StorageError(f"{store.uri(key)} kept changing under concurrent writers; gave up after {MAX_ATTEMPTS} attempts")
