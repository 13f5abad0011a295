"""Object store on the local filesystem (the embedded default).

Layout under `root`: a key `a/b/c` is the file `root/a/b/c`. Uploads are
written to `root/staging/<uuid>`, fsynced, then hard-linked (or renamed)
to their content key, so a reader never sees a partial object.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from .base import (
    CHUNK_SIZE, STAGING_PREFIX, ObjectInfo, ObjectReader, ObjectStore, SourceReader, StoredObject, check_key,
    check_range, content_key,
)
from .errors import (
    ChecksumMismatch,
    InvalidKey,
    ObjectHeld,
    ObjectNotFound,
    PresignNotSupported,
    StoreUnavailable,
)
from .streams import HashingReader, drain

# Where the store records its legal holds: `root/.legal-holds/<key>` marks `key` as held. Never a key itself,
# never listed.
HOLDS_DIR = ".legal-holds"

# Errors from link() that mean "this filesystem has no hard links here".
_NO_HARDLINK = {errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}


@contextmanager
def _store_io(what: str):
    """Turn OSErrors of our own file operations into StoreUnavailable."""
    try:
        yield
    except OSError as exc:
        raise StoreUnavailable(f"local store: {what} failed: {exc}") from exc


class _FileReader(SourceReader):
    def _read_from(self, file, n: int) -> bytes:
        with _store_io("read"):
            return file.read(n)  # a file shortened since it was opened just ends early

    def _release(self, file) -> None:
        file.close()


class LocalObjectStore(ObjectStore):
    """ObjectStore on a directory. Safe for several processes on one machine."""

    kind = "file"

    def __init__(self, root: str | os.PathLike, *, fsync: bool = True):
        self.root = Path(root).absolute()
        self.fsync = fsync

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    # -- keys and paths ---------------------------------------------------
    def path_for(self, key: str) -> Path:
        """Filesystem path of `key`; raises InvalidKey for keys that could escape root."""
        check_key(key)
        if key.split("/", 1)[0] == HOLDS_DIR:
            raise InvalidKey(key, "reserved for the store's legal holds")
        return self.root.joinpath(*key.split("/"))

    def _hold_path(self, key: str) -> Path:
        self.path_for(key)  # the same checks
        return self.root.joinpath(HOLDS_DIR, *key.split("/"))

    # -- writing ----------------------------------------------------------
    def _put_stream(
        self, stream: BinaryIO, *, content_type: str, max_size: int | None, expected: str | None
    ) -> StoredObject:
        reader = HashingReader(stream, max_size=max_size)

        if expected is not None and self._is_file(self.path_for(content_key(expected))):
            # Identical content is already here: verify the claim without writing.
            drain(reader)
            return self._verified_existing(reader, expected)

        staging_dir = self.root / STAGING_PREFIX.rstrip("/")
        with _store_io("creating the staging directory"):
            staging_dir.mkdir(parents=True, exist_ok=True)
        tmp_path = staging_dir / uuid.uuid4().hex
        with _store_io("creating a staging file"):
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            try:
                self._copy_into(reader, fd)
                if self.fsync:
                    with _store_io("fsync"):
                        os.fsync(fd)
            finally:
                with _store_io("close"):
                    os.close(fd)
            digest = reader.sha256_hex()
            if expected is not None and digest != expected:
                raise ChecksumMismatch(expected, digest)
            key = content_key(digest)
            created = self._promote(tmp_path, self.path_for(key))
            return StoredObject(key=key, sha256=digest, size=reader.size, created=created)
        finally:
            # Whatever happened, the staging file goes (it was linked or renamed if kept).
            try:
                os.unlink(tmp_path)
            except OSError:
                pass

    def _copy_into(self, reader: HashingReader, fd: int) -> None:
        buffer = bytearray(CHUNK_SIZE)
        view = memoryview(buffer)
        while True:
            count = reader.readinto(view)  # errors of the source stream propagate as they are
            if not count:
                return
            chunk = view[:count]
            with _store_io("write"):
                while chunk:
                    written = os.write(fd, chunk)
                    chunk = chunk[written:]

    def _promote(self, tmp_path: Path, final_path: Path) -> bool:
        """Give the staging file its content key; False when that content already existed."""
        with _store_io("creating the content directory"):
            final_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(tmp_path, final_path)  # atomic create-if-absent
            created = True
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_HARDLINK:
                raise StoreUnavailable(f"local store: link failed: {exc}") from exc
            if self._is_file(final_path):
                return False
            with _store_io("rename"):
                os.replace(tmp_path, final_path)
            created = True
        if created and self.fsync:
            self._fsync_dir(final_path.parent)
        return created

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        try:
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)

    def _verified_existing(self, reader: HashingReader, expected: str) -> StoredObject:
        digest = reader.sha256_hex()
        if digest != expected:
            raise ChecksumMismatch(expected, digest)
        return StoredObject(key=content_key(digest), sha256=digest, size=reader.size, created=False)

    # -- reading ----------------------------------------------------------
    def open(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectReader:
        check_range(offset, length)
        path = self.path_for(key)
        try:
            file = open(path, "rb", buffering=0)  # noqa: SIM115 - handed to the reader
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StoreUnavailable(f"local store: open failed: {exc}") from exc
        try:
            with _store_io("stat"):
                size = os.fstat(file.fileno()).st_size
            start = min(offset, size)
            end = size if length is None else min(size, offset + length)
            if start:
                with _store_io("seek"):
                    file.seek(start)
            return _FileReader(file, max(0, end - start))
        except BaseException:
            file.close()
            raise

    def stat(self, key: str) -> ObjectInfo:
        path = self.path_for(key)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StoreUnavailable(f"local store: stat failed: {exc}") from exc
        if not _is_regular(info):
            raise ObjectNotFound(key)
        return ObjectInfo(key=key, size=info.st_size, last_modified=_utc(info.st_mtime))

    def exists(self, key: str) -> bool:
        return self._is_file(self.path_for(key))

    @staticmethod
    def _is_file(path: Path) -> bool:
        try:
            return _is_regular(path.stat())
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StoreUnavailable(f"local store: stat failed: {exc}") from exc

    def iter_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with `prefix`, in key order."""
        if prefix.startswith("/") or ".." in prefix.split("/") or "\\" in prefix:
            raise InvalidKey(prefix, "not a usable prefix")
        directory_part = prefix.rpartition("/")[0]
        start = self.root.joinpath(*directory_part.split("/")) if directory_part else self.root
        base = directory_part + "/" if directory_part else ""
        yield from self._walk(start, base, prefix)

    def _walk(self, directory: Path, base: str, prefix: str) -> Iterator[ObjectInfo]:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StoreUnavailable(f"local store: listing failed: {exc}") from exc
        for entry in entries:
            if not base and entry.name == HOLDS_DIR:
                continue  # the store's record of its holds, not objects
            key = base + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    # Only descend where keys below could still match the prefix.
                    if key.startswith(prefix) or prefix.startswith(key + "/"):
                        yield from self._walk(Path(entry.path), key + "/", prefix)
                    continue
                if not key.startswith(prefix) or not entry.is_file(follow_symlinks=False):
                    continue
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # deleted while we listed
            except OSError as exc:
                raise StoreUnavailable(f"local store: listing failed: {exc}") from exc
            yield ObjectInfo(key=key, size=info.st_size, last_modified=_utc(info.st_mtime))

    # -- deleting and the rest ---------------------------------------------
    def delete(self, key: str) -> None:
        path = self.path_for(key)
        if self.is_legally_held(key):
            raise ObjectHeld(key)
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError):
            return
        except IsADirectoryError:
            return
        except OSError as exc:
            raise StoreUnavailable(f"local store: delete failed: {exc}") from exc

    def presigned_get_url(self, key: str, *, expires_seconds: int, filename: str, content_type: str) -> str:
        raise PresignNotSupported("the local store serves bytes itself; it cannot presign URLs")

    # -- legal holds: a marker file per held key ------------------------------
    def set_legal_hold(self, key: str) -> None:
        marker = self._hold_path(key)
        if not self.exists(key):
            raise ObjectNotFound(key)
        with _store_io("recording a legal hold"):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch(exist_ok=True)
            if self.fsync:
                self._fsync_dir(marker.parent)

    def clear_legal_hold(self, key: str) -> None:
        marker = self._hold_path(key)
        try:
            os.unlink(marker)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreUnavailable(f"local store: clearing a legal hold failed: {exc}") from exc

    def is_legally_held(self, key: str) -> bool:
        return self._is_file(self._hold_path(key))

    def ping(self) -> None:
        """Check that the root exists (creating it) and takes writes."""
        staging_dir = self.root / STAGING_PREFIX.rstrip("/")
        probe = staging_dir / f".ping-{uuid.uuid4().hex}"
        with _store_io("ping"):
            staging_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, b"ping")
            finally:
                os.close(fd)
                os.unlink(probe)


def _is_regular(info: os.stat_result) -> bool:
    return stat_module.S_ISREG(info.st_mode)


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
