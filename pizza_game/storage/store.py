"""Object stores holding the bucket layout: a local directory (the embedded default) or S3.

Both speak the same small interface over string keys such as
``raw-data/football-data/mock/2024/05/04/20240504_000000_mock_matches.json``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Protocol

# A lock file per folder serializes compare-and-swap writes of the keys in it (LocalStore).
LOCK_NAME = ".pizza-game.lock"
# Errors no retry can fix: the run fails at once with them instead of retrying.
PERMANENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


class StorageError(RuntimeError):
    """A read or write failed; the message names the key and the store, never a secret.

    ``permanent``: retrying cannot help (disk full, read-only file system, permission denied).
    """

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def local_error(action: str, key: str, root: Path, error: OSError) -> StorageError:
    return StorageError(
        f"cannot {action} {key} under {root}: {error.strerror or error}", permanent=error.errno in PERMANENT_ERRNOS
    )


class ObjectStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def put_many(self, objects: list[tuple[str, bytes, str]]) -> list[str]:
        """Write (key, data, content type) objects, in any order (S3: in parallel); the version
        token of each object as written, in order: what ``list_versions`` lists for it until
        another write replaces it. Taken from the write itself, not from a listing after it,
        which could already show another writer's object."""
        ...

    def put_if_versions(self, objects: list[tuple[str, bytes, str, str | None]]) -> list[bool]:
        """``put_if_version`` of each (key, data, content type, version), in any order; whether
        each was written."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; raises KeyError when it does not exist."""
        ...

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        """The bytes and version token (as ``get_version``) of each of ``keys`` that exists (S3: read
        in parallel); missing keys are left out."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The object's size in bytes; raises KeyError when it does not exist."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object if it exists."""
        ...

    def list_dirs(self, prefix: str) -> list[str]:
        """The immediate child "folders" of ``prefix`` (which ends with '/'), sorted."""
        ...

    # After list_dirs: in the class body the name `list` is this method, not the builtin.
    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""
        ...

    def list_versions(self, prefix: str) -> dict[str, str]:
        """Every key under ``prefix`` with its version token, as ``get_version`` gives it: a token
        changes whenever the object's bytes do."""
        ...

    def uri(self, key: str) -> str: ...

    def get_version(self, key: str) -> tuple[bytes | None, str | None]:
        """The object's bytes and a version token for ``put_if_version``; (None, None) if absent."""
        ...

    def put_if_version(self, key: str, data: bytes, content_type: str, version: str | None) -> bool:
        """Write only if the object is still at ``version`` (None: still absent); False if not."""
        ...

    def check(self) -> None:
        """Fail with one clear StorageError if the store cannot be written (run start)."""
        ...


class LocalStore:
    """The layout under a local directory. Writes are atomic: temp file in the same folder, then rename."""

    def __init__(self, root: str | os.PathLike[str]):
        try:
            self.root = Path(root).expanduser().resolve()
        except (RuntimeError, OSError) as error:
            raise StorageError(f"the data directory {root} cannot be used: {error}") from None
        # Folders already resolved and checked to lie under the root, by key prefix: a read or
        # write in a known folder costs no resolve() (a stat per folder of the path: the hourly
        # run reads 767 objects). And those already created: a write there costs no mkdir.
        self._resolved: dict[str, Path] = {}
        self._folders: dict[str, Path] = {}

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        prefix, _, name = key.rpartition("/")
        if name in ("", ".", ".."):
            return self._inside(key, (self.root / key).resolve())
        folder = self._resolved.get(prefix)
        if folder is None:
            folder = self._inside(key, (self.root / prefix).resolve() / name).parent
            self._resolved[prefix] = folder
        return folder / name

    def _inside(self, key: str, path: Path) -> Path:
        if self.root not in path.parents:
            raise StorageError(f"key {key!r} escapes the data directory {self.root}")
        return path

    def _folder(self, key: str) -> Path:
        prefix, _, name = key.rpartition("/")
        if name in ("", ".", ".."):
            raise StorageError(f"key {key!r} does not name a file under the data directory {self.root}")
        folder = self._folders.get(prefix)
        if folder is None:
            folder = self._path(key).parent
            folder.mkdir(parents=True, exist_ok=True)
            self._folders[prefix] = folder
        return folder

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._put(key, data)

    def _put(self, key: str, data: bytes) -> str:
        """Write the file; its version (as ``list_versions`` gives it) from the temp file's own
        ``fstat`` before the rename, which keeps its inode, mtime and size."""
        name = key.rpartition("/")[2]
        try:
            folder = self._folder(key)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            except FileNotFoundError:
                # The folder was removed since it was created here.
                self._folders.clear()
                folder = self._folder(key)
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    os.fchmod(handle.fileno(), 0o644)
                    handle.write(data)
                    handle.flush()
                    version = _version(os.fstat(handle.fileno()))
                os.replace(tmp, folder / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise local_error("write", key, self.root, error) from None
        return version

    def put_many(self, objects: list[tuple[str, bytes, str]]) -> list[str]:
        return [self._put(key, data) for key, data, _ in objects]

    def put_if_versions(self, objects: list[tuple[str, bytes, str, str | None]]) -> list[bool]:
        """Compare and swap each object as ``put_if_version`` does, taking each folder's lock once
        for all of its keys (an import writes a month of hourly objects at a time)."""
        written = [False] * len(objects)
        by_folder: dict[str, list[int]] = {}
        for i, (key, *_) in enumerate(objects):
            by_folder.setdefault(key.rpartition("/")[0], []).append(i)
        for positions in by_folder.values():
            first = objects[positions[0]][0]
            try:
                folder, lock = self._lock_file(first)
                with lock:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                    try:
                        for i in positions:
                            key, data, content_type, version = objects[i]
                            if _current_version(folder / key.rpartition("/")[2]) == version:
                                self.put(key, data, content_type)
                                written[i] = True
                    finally:
                        fcntl.flock(lock, fcntl.LOCK_UN)
            except OSError as error:
                raise local_error("write", first, self.root, error) from None
        return written

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None
        except OSError as error:
            raise local_error("read", key, self.root, error) from None

    def get_many(self, keys: list[str]) -> dict[str, tuple[bytes, str]]:
        out = {}
        for key in keys:
            data, version = self.get_version(key)
            if data is not None and version is not None:
                out[key] = (data, version)
        return out

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_dirs(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        return sorted(f"{prefix}{p.name}/" for p in folder.iterdir() if p.is_dir())

    def list(self, prefix: str) -> list[str]:
        return sorted(key for key, _ in self._entries(prefix))

    def list_versions(self, prefix: str) -> dict[str, str]:
        """The (inode, mtime, size) of each file under ``prefix``, from the listing's own stat."""
        versions = {}
        for key, entry in self._entries(prefix):
            try:
                versions[key] = _version(entry.stat())
            except FileNotFoundError:
                continue  # removed since it was listed
        return versions

    def _entries(self, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        base = self.root / prefix
        folder = base if base.is_dir() else base.parent
        if not folder.is_dir():
            return
        start = folder.relative_to(self.root).as_posix()
        for key, entry in _files_under(str(folder), "" if start == "." else f"{start}/"):
            if key.startswith(prefix):
                yield key, entry

    def uri(self, key: str) -> str:
        return (self.root / key).as_uri()

    def get_version(self, key: str) -> tuple[bytes | None, str | None]:
        """The bytes and (inode, mtime, size) of the file read: every ``put`` makes a new inode."""
        try:
            with self._path(key).open("rb") as handle:
                return handle.read(), _version(os.fstat(handle.fileno()))
        except FileNotFoundError:
            return None, None
        except OSError as error:
            raise local_error("read", key, self.root, error) from None

    def put_if_version(self, key: str, data: bytes, content_type: str, version: str | None) -> bool:
        """Compare and swap under an ``fcntl`` lock on the folder's lock file."""
        return self.put_if_versions([(key, data, content_type, version)])[0]

    def _lock_file(self, key: str) -> tuple[Path, IO[str]]:
        """The key's folder and its lock file, opened (for the caller's ``with``)."""
        folder = self._folder(key)
        try:
            return folder, open(folder / LOCK_NAME, "a")
        except FileNotFoundError:
            # The folder was removed since it was created here.
            self._folders.clear()
            folder = self._folder(key)
            return folder, open(folder / LOCK_NAME, "a")

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check.", delete=True):
                pass
        except OSError as error:
            raise StorageError(
                f"the data directory {self.root} is not writable ({error.strerror or error}); "
                "set PIZZA_GAME_DATA_DIR or --data-dir to a writable folder"
            ) from None


def _files_under(folder: str, key_prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """The keys (``key_prefix`` + relative path) and entries of the files under ``folder``, hidden ones left
    out; symlinked folders are not entered (as ``Path.rglob``). ``os.scandir`` rather than
    ``rglob``: no Path object and no stat per file, and the hourly run lists months of hourly
    objects."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files_under(entry.path, f"{key_prefix}{entry.name}/")
            elif entry.is_file() and not entry.name.startswith("."):
                yield key_prefix + entry.name, entry


def _current_version(path: Path) -> str | None:
    try:
        return _version(os.stat(path))
    except FileNotFoundError:
        return None


def _version(stat: os.stat_result) -> str:
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def put_if_changed(store: ObjectStore, key: str, data: bytes, content_type: str) -> bool:
    """Write ``data`` at ``key`` unless the object stored there already holds these bytes; True
    when written. An hourly run leaves the objects it did not change as they are: no new write,
    no new S3 version. The size is looked up first (a stat, a HEAD): only an object of the same
    size is read back to compare, so a changed horizon-wide CSV is not downloaded before each write."""
    try:
        if store.size(key) == len(data) and store.get(key) == data:
            return False
    except KeyError:
        pass
    store.put(key, data, content_type)
    return True
