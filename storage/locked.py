"""Write-once records: objects that cannot be changed or deleted until their retention ends.

    s3://KEY:SECRET@host:port/bucket?secure=0   S3 Object Lock in COMPLIANCE mode on a versioned bucket
                                                (made with the lock on when missing): not even the
                                                bucket's owner can delete a version before it expires
    file:///abs/path                            a local directory of read-only files, written once: the
                                                embedded default, which stops mistakes, not the machine's root

`records()` reads every version of every object, those hidden behind a delete marker or an overwrite
included, so a record cannot be made to disappear from a reader's view by writing over it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from .errors import StoreError, StoreUnavailable


@dataclass(frozen=True)
class LockedRecord:
    key: str
    version: str
    data: bytes


class WriteOnceBucket(Protocol):
    #: True when the store itself refuses deletion before the retention ends (S3 Object Lock).
    enforced: bool

    def put(self, key: str, data: bytes, *, retain_days: int) -> str:
        """Write a record; returns its version id."""

    def records(self, prefix: str = "") -> Iterator[LockedRecord]:
        """Every version of every record under `prefix`."""


class S3WriteOnceBucket:
    enforced = True

    def __init__(self, *, endpoint: str, bucket: str, access_key: str, secret_key: str, secure: bool = True,
                 region: str = "us-east-1", connect_timeout: float = 3.0, read_timeout: float = 30.0):
        from minio import Minio

        from .s3.client import http_pool

        self.bucket = bucket
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region,
                             http_client=http_pool(connect_timeout, read_timeout, 4))
        self._ready = False

    def _ensure_bucket(self) -> None:
        if self._ready:
            return
        from .s3.client import translate_errors

        with translate_errors(what="locked bucket check"):
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket, object_lock=True)
            config = self._client.get_object_lock_config(self.bucket)
        if config is None:
            raise StoreError(f"bucket {self.bucket} has no Object Lock: write-once records need a bucket made with it")
        self._ready = True

    def put(self, key: str, data: bytes, *, retain_days: int) -> str:
        from minio.retention import COMPLIANCE, Retention

        from .s3.client import translate_errors

        self._ensure_bucket()
        until = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=retain_days)
        with translate_errors(key, "locked write"):
            result = self._client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                                             content_type="application/json", retention=Retention(COMPLIANCE, until))
        return result.version_id or ""

    def records(self, prefix: str = "") -> Iterator[LockedRecord]:
        from .s3.client import translate_errors

        self._ensure_bucket()
        with translate_errors(what="locked listing"):
            versions = [item for item in self._client.list_objects(self.bucket, prefix=prefix, recursive=True,
                                                                     include_version=True)
                        if not item.is_delete_marker]
        for item in versions:
            with translate_errors(item.object_name, "locked read"):
                response = self._client.get_object(self.bucket, item.object_name, version_id=item.version_id)
                try:
                    data = response.read()
                finally:
                    response.close()
                    response.release_conn()
            yield LockedRecord(item.object_name, item.version_id or "", data)


class LocalWriteOnceBucket:
    enforced = False

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def put(self, key: str, data: bytes, *, retain_days: int) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise StoreError(f"invalid record key {key!r}")
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            raise StoreError(f"record {key} exists and is never overwritten") from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot write record {key}: {exc}") from exc
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        return ""

    def records(self, prefix: str = "") -> Iterator[LockedRecord]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix):
                yield LockedRecord(key, "", path.read_bytes())


def write_once_bucket_from_url(url: str) -> WriteOnceBucket:
    parts = urlsplit(url)
    if parts.scheme == "s3":
        from .factory import s3_connection

        return S3WriteOnceBucket(**s3_connection(parts))
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise ValueError("file:// record URLs need an absolute path and no host: file:///absolute/path")
        return LocalWriteOnceBucket(path)
    raise ValueError(f"unsupported record store URL scheme {parts.scheme!r} (use s3:// or file://)")
