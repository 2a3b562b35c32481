"""The SHA-256 of the merged JSON objects read, by object and version token.

A merged day's columnar copy is used only when the digest it names is that of the JSON object
stored now (storage/columns.py), and the hourly run reads the whole horizon: reading and hashing
every day's JSON each hour grew with the horizon (on S3, a GET of the largest object of each day).
The listing that finds the days also gives each object's version token (``list_versions``:
LocalStore inode, mtime and size; S3 the ETag), which changes whenever the object's bytes do. A
digest is kept here under the token it was read with (``get_version``: the bytes and their token
from one read), so a JSON object listed again under the same token is not read again: a rewritten
object has a new token and is read and hashed anew.

Dagster's daemon runs every scheduled run in a new process, which would know no digest: a local
store's digests are also saved in a file of its own, ``SAVED_NAME`` at its root (a dotfile, so not
an object: LocalStore lists none), loaded by the next process (``load``). It is a cache: a missing
or unreadable file costs reads, and of two processes saving at once the last wins.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable

# Digests of years of days in many stores (each is 64 characters): a few hundred kilobytes.
LIMIT = 8192
# The file, at a local store's root, where its digests are kept for the next process.
SAVED_NAME = ".known-digests.json"


class KnownDigests:
    """A bounded, least-recently-used map from (object URI, version token) to its SHA-256."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._digests: OrderedDict[tuple[str, str], str] = OrderedDict()
        # Dagster may run steps in threads of one process; the map is changed under this lock.
        self._lock = threading.Lock()
        # The saved files loaded already: each is read once per process.
        self._loaded: set[str] = set()

    def get(self, uri: str, version: str) -> str | None:
        with self._lock:
            digest = self._digests.get((uri, version))
            if digest is not None:
                self._digests.move_to_end((uri, version))
            return digest

    def put(self, uri: str, version: str, digest: str) -> None:
        with self._lock:
            self._put(uri, version, digest)

    def _put(self, uri: str, version: str, digest: str) -> None:
        self._digests[(uri, version)] = digest
        self._digests.move_to_end((uri, version))
        while len(self._digests) > self.limit:
            self._digests.popitem(last=False)

    def load(self, source: str, read: Callable[[], bytes]) -> None:
        """Adds the digests saved at ``source`` (the bytes ``read`` returns, as ``saved`` wrote
        them), once per source and process; a file that is missing or not as ``saved`` writes it
        adds nothing."""
        with self._lock:
            if source in self._loaded:
                return
            self._loaded.add(source)
        try:
            entries = [(str(u), str(v), str(d)) for u, v, d in json.loads(read())["digests"]]
        except (KeyError, OSError, ValueError, TypeError):
            return
        with self._lock:
            for uri, version, digest in entries:
                if (uri, version) not in self._digests:
                    self._put(uri, version, digest)

    def saved(self, prefix: str) -> bytes:
        """The digests kept of the objects whose URI starts with ``prefix`` (one store's), as
        ``load`` reads them."""
        with self._lock:
            entries = [[u, v, d] for (u, v), d in self._digests.items() if u.startswith(prefix)]
        return json.dumps({"digests": entries}, separators=(",", ":")).encode()


# The process's digests, which MergedStore.read_days uses.
KNOWN_DIGESTS = KnownDigests()
