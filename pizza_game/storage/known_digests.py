"""The SHA-256 of the merged JSON objects read in this process, by object and version token.

A merged day's columnar copy is used only when the digest it names is that of the JSON object
stored now (storage/columns.py), and the hourly run reads the whole horizon: reading and hashing
every day's JSON each hour grew with the horizon (on S3, a GET of the largest object of each day).
The listing that finds the days also gives each object's version token (``list_versions``:
LocalStore inode, mtime and size; S3 the ETag), which changes whenever the object's bytes do. A
digest is kept here under the token it was read with (``get_version``: the bytes and their token
from one read), so a JSON object listed again under the same token is not read again: a rewritten
object has a new token and is read and hashed anew.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

# Digests of years of days in many stores (each is 64 characters): a few hundred kilobytes.
LIMIT = 8192


class KnownDigests:
    """A bounded, least-recently-used map from (object URI, version token) to its SHA-256."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._digests: OrderedDict[tuple[str, str], str] = OrderedDict()
        # Dagster may run steps in threads of one process; the map is changed under this lock.
        self._lock = threading.Lock()

    def get(self, uri: str, version: str) -> str | None:
        with self._lock:
            digest = self._digests.get((uri, version))
            if digest is not None:
                self._digests.move_to_end((uri, version))
            return digest

    def put(self, uri: str, version: str, digest: str) -> None:
        with self._lock:
            self._digests[(uri, version)] = digest
            self._digests.move_to_end((uri, version))
            while len(self._digests) > self.limit:
                self._digests.popitem(last=False)


# The process's digests, which MergedStore.read_days uses.
KNOWN_DIGESTS = KnownDigests()
