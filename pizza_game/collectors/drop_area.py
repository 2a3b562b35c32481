"""The drop area: files users put into the store for import, each handled once.

Layout, under the data root or the bucket (the same keys in both):

- ``imports/orders/<name>.csv|.json``: orders whose timestamps carry a UTC offset ("Z", "+01:00");
  rows with naive timestamps are rejected.
- ``imports/orders/<Zone>/<name>``: naive timestamps are local times of the IANA zone ``<Zone>``,
  written with "__" for "/" (``Europe__London``, ``America__New_York``, ``UTC``).
- ``imports/matches/[<Zone>/]<name>``: matches, the same way (every format file_import.py reads).
- ``imports/done/<orders|matches>/[<Zone>/]<YYYYMMDDTHHMMSSZ>_<fingerprint>_<name>``: files imported.
- ``imports/failed/...`` (same shape) and ``<...>.error.txt`` beside it: files that could not be
  imported, with the reason. They are not tried again; drop a corrected file to retry.

A scan reads a file once its size is the same as at the previous scan (a file still being copied
in is not read half-written), imports it with collectors/file_import.py and lands it in its real
raw partitions (storage/landing.py, idempotent). The file moves to ``done/`` at the next scan,
once the scan that imported it has been committed: if that commit is lost (a crash), the next scan
imports the file again, which changes nothing, instead of losing it. A file whose content was
imported before (same fingerprint) is moved to ``done/`` without a second import.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from pizza_game.collectors.file_import import import_matches, import_orders
from pizza_game.schema import Normalized
from pizza_game.storage.codecs import JSON_TYPE
from pizza_game.storage.csv_text import CSV_TYPE
from pizza_game.storage.landing import land_import
from pizza_game.storage.layout import IMPORTS_DONE_PREFIX, IMPORTS_FAILED_PREFIX, IMPORTS_PREFIX
from pizza_game.storage.store import ObjectStore

KINDS = {"orders": "raw_orders", "matches": "raw_matches"}
SUFFIXES = {".csv": CSV_TYPE, ".json": JSON_TYPE}
ZONE_SLASH = "__"
# Files handled per scan; the rest wait for the next scan (a sensor tick has a time limit).
MAX_FILES_PER_SCAN = 20
# Fingerprints of imported content remembered to recognise a file dropped again.
MAX_REMEMBERED = 1000
TEXT_TYPE = "text/plain; charset=utf-8"


class DropLayoutError(ValueError):
    """A key in the drop area that does not follow its layout."""


@dataclass(frozen=True)
class DropCursor:
    """What a scan leaves for the next one (stored as the sensor's cursor).

    ``sizes``: each file's size at the last scan. ``pending``: files imported but not yet moved to
    done/, with their fingerprint. ``done``: fingerprints of content imported, newest last.
    """

    sizes: dict[str, int] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    done: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"sizes": self.sizes, "pending": self.pending, "done": list(self.done)}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> DropCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(dict(data.get("sizes", {})), dict(data.get("pending", {})), tuple(data.get("done", ())))


@dataclass(frozen=True)
class DroppedFile:
    """A key of the drop area, read: what it holds and how its timestamps are to be read."""

    key: str
    kind: str
    timezone: str | None
    name: str

    @property
    def asset(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class ImportedFile:
    """A file landed: its rows now sit in the raw partitions ``first`` to ``last``."""

    key: str
    uri: str
    asset: str
    fingerprint: str
    rows: int
    rejected: int
    first: str
    last: str


@dataclass(frozen=True)
class FailedFile:
    key: str
    moved_to: str
    error: str


@dataclass
class Scan:
    """What one scan did, and the cursor for the next."""

    cursor: DropCursor
    imported: list[ImportedFile] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def parse_key(key: str) -> DroppedFile:
    """The kind, timezone and file name of a drop-area key; DropLayoutError when it breaks the layout."""
    parts = PurePosixPath(key).parts
    if len(parts) < 3 or parts[0] != IMPORTS_PREFIX or parts[1] not in KINDS:
        raise DropLayoutError(f"{key} is not under {IMPORTS_PREFIX}/orders/ or {IMPORTS_PREFIX}/matches/")
    kind, rest = parts[1], parts[2:]
    if len(rest) > 2:
        raise DropLayoutError(
            f"{key} is nested too deep: put files in {IMPORTS_PREFIX}/{kind}/ or "
            f"{IMPORTS_PREFIX}/{kind}/<timezone>/ (e.g. Europe{ZONE_SLASH}London)"
        )
    name = rest[-1]
    if PurePosixPath(name).suffix.lower() not in SUFFIXES:
        raise DropLayoutError(f"{key} is not a .csv or .json file")
    timezone = rest[0].replace(ZONE_SLASH, "/") if len(rest) == 2 else None
    return DroppedFile(key, kind, timezone, name)


def handled_key(prefix: str, key: str, digest: str, now: pd.Timestamp) -> str:
    """Where a handled file goes: ``prefix/<kind>/[<zone>/]<stamp>_<digest>_<name>`` (stamp: UTC
    to the second; the content's fingerprint keeps two files of the same name apart)."""
    relative = PurePosixPath(key).relative_to(IMPORTS_PREFIX)
    return f"{prefix}/{relative.parent.as_posix()}/{now:%Y%m%dT%H%M%SZ}_{digest[:8]}_{relative.name}"


def list_drop_area(store: ObjectStore) -> list[str]:
    """The files waiting in the drop area (done/ and failed/ are not part of it), sorted."""
    keys = [key for kind in KINDS for key in store.list(f"{IMPORTS_PREFIX}/{kind}/")]
    return sorted(key for key in keys if not key.endswith("/"))


def scan_drop_area(
    store: ObjectStore, cursor: DropCursor, *, now: pd.Timestamp, max_files: int = MAX_FILES_PER_SCAN
) -> Scan:
    """Handle the files of the drop area that are ready; see the module docstring for the rules."""
    sizes: dict[str, int] = {}
    pending: dict[str, str] = {}
    done = list(cursor.done)
    scan = Scan(cursor=cursor)
    handled = 0
    for key in list_drop_area(store):
        size = store.size(key)
        sizes[key] = size
        if cursor.sizes.get(key) != size or handled >= max_files:
            scan.waiting.append(key)
            continue
        handled += 1
        data = store.get(key)
        digest = fingerprint(data)
        if digest in done:
            _move(store, key, data, handled_key(IMPORTS_DONE_PREFIX, key, digest, now))
            (scan.archived if cursor.pending.get(key) == digest else scan.duplicates).append(key)
            del sizes[key]
            continue
        outcome = import_dropped(store, key, data, digest, now=now)
        if isinstance(outcome, FailedFile):
            scan.failed.append(outcome)
            del sizes[key]
        else:
            scan.imported.append(outcome)
            pending[key] = digest
            done.append(digest)
    pending |= {key: digest for key, digest in cursor.pending.items() if key in scan.waiting}
    scan.cursor = DropCursor(sizes=sizes, pending=pending, done=tuple(done[-MAX_REMEMBERED:]))
    return scan


def import_dropped(store: ObjectStore, key: str, data: bytes, digest: str, *, now: pd.Timestamp) -> ImportedFile | FailedFile:
    """Import one file and land its rows; a file that cannot be imported moves to failed/."""
    uri = store.uri(key)
    try:
        dropped = parse_key(key)
        normalized = _read(dropped, data, uri)
    except ValueError as error:
        return _fail(store, key, data, digest, str(error), now)
    landed = land_import(store, dropped.asset, normalized, source_name=uri, fingerprint=digest, now=now)
    if not landed.rows:
        return _fail(store, key, data, digest, f"{uri}: no row could be imported{_reasons(landed.rejected)}", now)
    return ImportedFile(
        key=key,
        uri=uri,
        asset=dropped.asset,
        fingerprint=digest,
        rows=landed.rows,
        rejected=len(landed.rejected),
        first=landed.partitions[0],
        last=landed.partitions[-1],
    )


def _read(dropped: DroppedFile, data: bytes, uri: str) -> Normalized:
    """The file's rows through file_import, with ``uri`` (not a temporary path) in every message."""
    reader = import_orders if dropped.kind == "orders" else import_matches
    with tempfile.TemporaryDirectory(prefix="pizza-game-import-") as folder:
        path = Path(folder) / dropped.name
        path.write_bytes(data)
        try:
            normalized = reader(path, timezone=dropped.timezone)
        except ValueError as error:
            raise ValueError(str(error).replace(str(path), uri)) from None
    rejected = normalized.rejected.assign(where=normalized.rejected["where"].astype(str).str.replace(str(path), uri, regex=False))
    return Normalized(normalized.rows, rejected)


def _reasons(rejected: pd.DataFrame) -> str:
    if not len(rejected):
        return ""
    counts = rejected["reason"].value_counts()
    return f"; {len(rejected):,} row(s) rejected:\n" + "\n".join(f"  {n:,} x {reason}" for reason, n in counts.items())


def _fail(store: ObjectStore, key: str, data: bytes, digest: str, error: str, now: pd.Timestamp) -> FailedFile:
    target = handled_key(IMPORTS_FAILED_PREFIX, key, digest, now)
    store.put(f"{target}.error.txt", (error + "\n").encode("utf-8"), TEXT_TYPE)
    _move(store, key, data, target)
    return FailedFile(key=key, moved_to=target, error=error)


def _move(store: ObjectStore, key: str, data: bytes, target: str) -> None:
    content_type = SUFFIXES.get(PurePosixPath(key).suffix.lower(), "application/octet-stream")
    store.put(target, data, content_type)
    store.delete(key)
