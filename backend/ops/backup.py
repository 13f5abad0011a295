"""Backing a Dossier stack up, and restoring it onto an empty one.

A backup is one consistent picture of the stack:

    the database      pg_dump (custom format) on PostgreSQL, taken in an exported snapshot; SQLite's online
                      backup in the embedded default
    the objects       every object a row references (the tables of backend.documents.integrity), listed in
                      objects.jsonl with its SHA-256 and size, read from the same snapshot as the dump; their
                      bytes are copied (checked against their SHA-256 on the way) under objects/, shared by every
                      backup in the place, so a second backup copies only what is new (incremental). With
                      `objects="versions"` on a versioned S3 bucket only each object's version id is noted
    the audit trail   the newest signed checkpoint, read before the snapshot (so the dump holds its head)

The place (DEST/SRC) is a directory or an s3:// URL (a bucket, optionally with a prefix):

    objects/sha256/ab/cd/<sha256>            the objects' bytes, content-addressed
    backups/<id>/database.pgdump|.sqlite3    the database
    backups/<id>/objects.jsonl               one {"key", "sha256", "size", "version_id"} per line
    backups/<id>/manifest.json               written last: a backup without it is incomplete and ignored

Restore refuses a stack that holds anything (users, documents, audit events, stored objects) unless forced;
then it empties the database, loads the dump, puts every object back through the store (verified against
its SHA-256), and writes the backed-up checkpoint where the stack keeps its checkpoints. The search index is
not in a backup: `search_reindex --clear` rebuilds it from the restored database.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, transaction

FORMAT_VERSION = 1
OBJECTS_PREFIX = "objects/"
BACKUPS_PREFIX = "backups/"
MANIFEST = "manifest.json"
OBJECT_LIST = "objects.jsonl"
_CHUNK = 1 << 20


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


class StackNotEmpty(BackupError):
    """Restore onto a stack that already holds data, without force."""


# --- where backups live --------------------------------------------------------------------------------------


class BackupPlace(Protocol):
    """A directory or a bucket (prefix) that holds backups. Names are '/'-separated, relative."""

    label: str

    def listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        """(name, size) of everything under `prefix`: one listing, not a request per name."""

    def put_file(self, name: str, path: Path) -> None: ...

    def put_bytes(self, name: str, data: bytes) -> None: ...

    def put_chunks(self, name: str, chunks: Iterable[bytes], size: int) -> None:
        """Write `size` bytes from `chunks`; if `chunks` raises, nothing is kept under `name`."""

    def open(self, name: str) -> BinaryIO: ...

    def get_file(self, name: str, path: Path) -> None: ...

    def names(self, prefix: str) -> Iterator[str]: ...

    def delete(self, name: str) -> None:
        """Remove `name`; a missing one is fine."""


class DirectoryPlace:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.label = str(self.root)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root not in path.parents:
            raise BackupError(f"invalid name in a backup: {name!r}")
        return path

    def _write_atomically(self, name: str, write: Callable[[BinaryIO], None]) -> None:
        final = self._path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=final.parent, prefix=".partial-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def put_file(self, name: str, path: Path) -> None:
        with open(path, "rb") as source:
            self._write_atomically(name, lambda out: shutil.copyfileobj(source, out, _CHUNK))

    def put_bytes(self, name: str, data: bytes) -> None:
        self._write_atomically(name, lambda out: out.write(data))

    def put_chunks(self, name: str, chunks: Iterable[bytes], size: int) -> None:
        def write(out: BinaryIO) -> None:
            for chunk in chunks:
                out.write(chunk)

        self._write_atomically(name, write)

    def open(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except FileNotFoundError:
            raise BackupError(f"{name} is missing from the backup in {self.label}") from None

    def get_file(self, name: str, path: Path) -> None:
        with self.open(name) as source, open(path, "wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)

    def listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return
        for directory, _, files in os.walk(base):
            for file in files:
                if not file.startswith(".partial-"):
                    path = Path(directory) / file
                    yield path.relative_to(self.root).as_posix(), path.stat().st_size

    def names(self, prefix: str) -> Iterator[str]:
        return (name for name, _ in self.listing(prefix))

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


class _ChunkStream(io.RawIOBase):
    """A readable file over an iterator of byte chunks (for a streamed upload)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buffer) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if n < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def readinto(self, view) -> int:
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class S3Place:
    """s3://KEY:SECRET@host:port/bucket[/prefix]?secure=0 — made when missing."""

    def __init__(self, url: str):
        from minio import Minio

        from storage.factory import s3_connection
        from storage.s3.client import http_pool

        parts = urlsplit(url)
        bucket, _, prefix = parts.path.strip("/").partition("/")
        connection_args = s3_connection(parts._replace(path=f"/{bucket}"))
        self.bucket = connection_args["bucket"]
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.label = urlunsplit(("s3", connection_args["endpoint"], f"/{self.bucket}/{self.prefix}", "", ""))
        self.client = Minio(
            connection_args["endpoint"], access_key=connection_args["access_key"],
            secret_key=connection_args["secret_key"], secure=connection_args["secure"],
            region=connection_args["region"], http_client=http_pool(5.0, 120.0, 16),
        )
        self._ready = False

    def _ensure_bucket(self) -> None:
        if not self._ready:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._ready = True

    def put_file(self, name: str, path: Path) -> None:
        self._ensure_bucket()
        self.client.fput_object(self.bucket, self.prefix + name, str(path))

    def put_bytes(self, name: str, data: bytes) -> None:
        self._ensure_bucket()
        self.client.put_object(self.bucket, self.prefix + name, io.BytesIO(data), len(data))

    def put_chunks(self, name: str, chunks: Iterable[bytes], size: int) -> None:
        self._ensure_bucket()
        # A failed single PUT stores nothing; a failed multipart upload is aborted by the client.
        self.client.put_object(self.bucket, self.prefix + name, _ChunkStream(chunks), size,
                               part_size=64 << 20 if size > 64 << 20 else 0)

    def open(self, name: str) -> BinaryIO:
        from minio.error import S3Error

        try:
            return _S3Body(self.client.get_object(self.bucket, self.prefix + name))
        except S3Error as exc:
            raise BackupError(f"{name} is missing from the backup in {self.label} ({exc.code})") from None

    def get_file(self, name: str, path: Path) -> None:
        with self.open(name) as source, open(path, "wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)

    def listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        from minio.error import S3Error

        try:
            for item in self.client.list_objects(self.bucket, prefix=self.prefix + prefix, recursive=True):
                yield item.object_name[len(self.prefix):], item.size
        except S3Error as exc:
            if exc.code != "NoSuchBucket":
                raise

    def names(self, prefix: str) -> Iterator[str]:
        return (name for name, _ in self.listing(prefix))

    def delete(self, name: str) -> None:
        self.client.remove_object(self.bucket, self.prefix + name)


class _S3Body(io.RawIOBase):
    def __init__(self, response):
        self._response = response

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._response.read(None if n is None or n < 0 else n)

    def readinto(self, view) -> int:
        data = self._response.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
            self._response.release_conn()
        super().close()


def backup_place(where: str) -> BackupPlace:
    """The place a DEST/SRC argument names: an s3:// URL, a file:// URL or a directory path."""
    if where.startswith("s3://"):
        return S3Place(where)
    if where.startswith("file://"):
        return DirectoryPlace(urlsplit(where).path)
    if "://" in where:
        raise BackupError(f"a backup goes to a directory or an s3:// URL, not {where.split('://')[0]}://")
    return DirectoryPlace(where)


def redacted(where: str) -> str:
    """`where` without credentials (for logs and the audit trail)."""
    parts = urlsplit(where)
    if parts.scheme == "s3" and parts.hostname:
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return where


def object_name(key: str) -> str:
    return OBJECTS_PREFIX + key


# --- PostgreSQL's tools ----------------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` from DOSSIER_PG_BINDIR, else Debian's newest /usr/lib/postgresql/*/bin (the
    newest client reads and writes every older server), else the PATH."""
    explicit = os.environ.get("DOSSIER_PG_BINDIR")
    candidates = [explicit] if explicit else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for candidate in candidates:
        if candidate and (Path(candidate) / name).exists():
            return str(Path(candidate) / name)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} not found: install PostgreSQL's client programs or set DOSSIER_PG_BINDIR")


def _pg_arguments() -> tuple[list[str], dict]:
    params = connection.settings_dict
    arguments = ["--dbname", params["NAME"]]
    if params.get("HOST"):
        arguments += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        arguments += ["--port", str(params["PORT"])]
    if params.get("USER"):
        arguments += ["--username", str(params["USER"])]
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    sslmode = (params.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return arguments, env


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# --- what a backup holds -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectEntry:
    key: str
    sha256: str
    size: int
    version_id: str | None = None


@dataclass
class Progress:
    """What a backup or restore has done so far, handed to the caller's `progress` callback."""

    stage: str
    total: int = 0
    done: int = 0
    copied: int = 0  # objects whose bytes went over
    reused: int = 0  # objects already there (incremental)
    bytes_copied: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


@dataclass(frozen=True)
class BackupResult:
    backup_id: str
    place: str
    database: str
    objects: int
    objects_copied: int
    objects_reused: int
    bytes_copied: int
    bytes_total: int
    checkpoint_head_id: int | None
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    backup_id: str
    objects: int
    objects_copied: int
    objects_present: int
    bytes_copied: int
    checkpoint_head_id: int | None
    seconds: float


def _reference_query() -> str:
    """One SQL query for (key, sha256, size) of every referenced object, each key once."""
    from backend.documents.integrity import object_references

    parts = []
    for references in object_references():
        meta = references.model._meta
        quote = connection.ops.quote_name
        parts.append(
            f"SELECT {quote(meta.get_field(references.key_field).column)} AS k, "
            f"{quote(meta.get_field(references.sha256_field).column)} AS s, "
            f"{quote(meta.get_field(references.size_field).column)} AS n FROM {quote(meta.db_table)}"
        )
    # (PostgreSQL and SQLite alike: no column list on the subquery's alias)
    return f"SELECT DISTINCT k, s, n FROM ({' UNION ALL '.join(parts)}) AS refs ORDER BY k"  # noqa: S608


def _newest_checkpoint_record() -> dict | None:
    from backend.audit.checkpoints import checkpoints_read

    newest = checkpoints_read().newest
    if newest is None:
        return None
    return {"checkpoint": asdict(newest), "signature": newest.signature()}


def _new_backup_id() -> str:
    # sorts by time (to the microsecond) as text: the newest backup is the last name
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"


def _dump_postgresql(path: Path) -> list[ObjectEntry]:
    """pg_dump into `path` and the referenced objects, both from one exported snapshot."""
    arguments, env = _pg_arguments()
    if connection.in_atomic_block:
        raise BackupError("a backup takes its own transaction; call it outside transaction.atomic()")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "--file", str(path), *arguments], env, "pg_dump")
            cursor.execute(_reference_query())
            return [ObjectEntry(key, sha256, int(size)) for key, sha256, size in cursor.fetchall()]


def sqlite_online_backup(source: sqlite3.Connection, path: Path) -> list[ObjectEntry]:
    """SQLite's online backup of `source` into `path` (consistent while others write); the referenced
    objects are read from that copy, so they describe the same state."""
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        rows = target.execute(_reference_query()).fetchall()
    finally:
        target.close()
    return [ObjectEntry(key, sha256, int(size)) for key, sha256, size in rows]


def sqlite_restore(path: Path, target_name: str) -> None:
    """Copy the backup at `path` over the SQLite database `target_name` (page by page, as one transaction)."""
    source = sqlite3.connect(path)
    target = sqlite3.connect(target_name)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _dump_sqlite(path: Path) -> list[ObjectEntry]:
    connection.ensure_connection()
    return sqlite_online_backup(connection.connection, path)


def _s3_versions(entries: list[ObjectEntry]) -> list[ObjectEntry]:
    """Each object's current version id on a versioned S3 bucket (the bytes stay in the bucket)."""
    client, bucket = _versions_client()
    if client.get_bucket_versioning(bucket).status != "Enabled":
        raise BackupError(f"--objects=versions needs versioning on the bucket {bucket}; copy the objects instead")
    from storage.base import CONTENT_PREFIX

    current = {item.object_name: item.version_id  # one listing, not a request per object
               for item in client.list_objects(bucket, prefix=CONTENT_PREFIX, recursive=True, include_version=True)
               if str(item.is_latest).lower() == "true" and not item.is_delete_marker}  # IsLatest is text
    absent = [e.key for e in entries if not current.get(e.key)]
    if absent:
        raise BackupError(f"{len(absent)} referenced objects have no current version in {bucket}, e.g. {absent[0]}")
    return [ObjectEntry(e.key, e.sha256, e.size, current[e.key]) for e in entries]


def dossier_backup(dest: str, *, objects: str = "copy", parallel: int = 8, actor=None,
                   progress: Callable[[Progress], None] | None = None) -> BackupResult:
    """Write one consistent backup of this stack into `dest` (a directory or an s3:// URL)."""
    from backend.audit import services as audit
    from backend.documents.store import object_store

    if objects not in ("copy", "versions"):
        raise BackupError("objects is 'copy' or 'versions'")
    place = backup_place(dest)
    backup_id = _new_backup_id()
    base = f"{BACKUPS_PREFIX}{backup_id}/"
    report = (lambda state: progress(state)) if progress else (lambda state: None)
    started = time.monotonic()
    # The checkpoint first: the snapshot taken after it holds its head (a later checkpoint might not be).
    checkpoint = _newest_checkpoint_record()
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(prefix="dossier-backup-") as work:
        state = Progress(stage="database")
        report(state)
        if vendor == "postgresql":
            database_name, dump = "database.pgdump", Path(work) / "database.pgdump"
            entries = _dump_postgresql(dump)
        elif vendor == "sqlite":
            database_name, dump = "database.sqlite3", Path(work) / "database.sqlite3"
            entries = _dump_sqlite(dump)
        else:
            raise BackupError(f"cannot back up a {vendor} database")
        if objects == "versions":
            entries = _s3_versions(entries)
        database_sha256 = _file_sha256(dump)
        place.put_file(base + database_name, dump)

        store = object_store()
        state = Progress(stage="objects", total=len(entries))
        report(state)
        # Incremental: what DEST already holds, from one listing (content-addressed: same key, same bytes).
        there = dict(place.listing(OBJECTS_PREFIX)) if objects == "copy" else {}
        missing = []
        for entry in entries:
            if objects == "versions":  # the bytes stay in the versioned bucket
                state.done += 1
            elif there.get(object_name(entry.key)) == entry.size:
                state.reused += 1
                state.done += 1
            else:
                missing.append(entry)
        report(state)

        def copy(entry: ObjectEntry) -> ObjectEntry:
            chunks = store.iter_verified(entry.key, sha256=entry.sha256, size=entry.size)
            try:
                place.put_chunks(object_name(entry.key), chunks, entry.size)
            finally:
                chunks.close()
            return entry

        for entry in in_parallel(copy, missing, parallel):
            state.copied += 1
            state.bytes_copied += entry.size
            state.done += 1
            report(state)
        object_list = b"".join(json.dumps(asdict(entry), separators=(",", ":")).encode() + b"\n"
                               for entry in entries)
        place.put_bytes(base + OBJECT_LIST, object_list)
        manifest = {
            "format": FORMAT_VERSION,
            "backup_id": backup_id,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "file": database_name, "sha256": database_sha256,
                         "size": dump.stat().st_size,
                         "server_version": getattr(connection, "pg_version", None) if vendor == "postgresql"
                         else sqlite3.sqlite_version},
            "objects": {"mode": objects, "count": len(entries), "bytes": sum(e.size for e in entries),
                        "list": OBJECT_LIST, "list_sha256": hashlib.sha256(object_list).hexdigest()},
            "audit_checkpoint": checkpoint,
        }
        place.put_bytes(base + MANIFEST, json.dumps(manifest, indent=2).encode())
    result = BackupResult(
        backup_id=backup_id, place=redacted(dest), database=database_name, objects=len(entries),
        objects_copied=state.copied, objects_reused=state.reused, bytes_copied=state.bytes_copied,
        bytes_total=manifest["objects"]["bytes"],
        checkpoint_head_id=checkpoint["checkpoint"]["head_id"] if checkpoint else None,
        seconds=time.monotonic() - started,
    )
    from backend.ops.audit_events import OPS_BACKUP_CREATED

    with transaction.atomic():
        audit.record(OPS_BACKUP_CREATED, actor=actor, target_type="ops.backup", target_id=backup_id,
                     target_label=f"{result.place} {backup_id}",
                     detail={"objects": result.objects, "copied": result.objects_copied,
                             "reused": result.objects_reused, "bytes_copied": result.bytes_copied,
                             "mode": objects, "checkpoint_head_id": result.checkpoint_head_id})
    return result


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


# --- restore -----------------------------------------------------------------------------------------------------


def backups_in(place: BackupPlace) -> list[str]:
    """The complete backups in a place (those with a manifest), oldest first."""
    found = {name[len(BACKUPS_PREFIX):].split("/", 1)[0] for name in place.names(BACKUPS_PREFIX)
             if name.endswith("/" + MANIFEST)}
    return sorted(found)


def read_manifest(place: BackupPlace, backup_id: str | None = None) -> dict:
    complete = backups_in(place)
    if not complete:
        raise BackupError(f"no complete backup in {place.label}")
    chosen = backup_id or complete[-1]
    if chosen not in complete:
        raise BackupError(f"no complete backup {chosen} in {place.label} (there are: {', '.join(complete)})")
    with place.open(f"{BACKUPS_PREFIX}{chosen}/{MANIFEST}") as source:
        manifest = json.loads(source.read())
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"backup {chosen} has format {manifest.get('format')}; this Dossier reads {FORMAT_VERSION}")
    return manifest


def read_object_list(place: BackupPlace, manifest: dict) -> list[ObjectEntry]:
    with place.open(f"{BACKUPS_PREFIX}{manifest['backup_id']}/{manifest['objects']['list']}") as source:
        data = source.read()
    if hashlib.sha256(data).hexdigest() != manifest["objects"]["list_sha256"]:
        raise BackupError(f"the object list of backup {manifest['backup_id']} does not match its manifest")
    return [ObjectEntry(**json.loads(line)) for line in data.splitlines() if line.strip()]


@dataclass(frozen=True)
class PruneResult:
    backups_removed: list[str]
    objects_removed: int
    bytes_freed: int


def backups_prune(place: BackupPlace, *, keep: int, current: str | None = None) -> PruneResult:
    """Keep the newest `keep` complete backups in `place`; remove the older ones and then every object that no
    kept backup lists. Backups without a manifest (one being written) and their objects are left alone only
    if a kept backup lists them: do not prune while another backup writes to the same place."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    complete = backups_in(place)
    removed = [backup_id for backup_id in complete[:-keep] if backup_id != current]  # never the one just written
    kept = [backup_id for backup_id in complete if backup_id not in removed]
    for backup_id in removed:
        base = f"{BACKUPS_PREFIX}{backup_id}/"
        place.delete(base + MANIFEST)  # first: from here on it is incomplete, never restored half-deleted
        for name in list(place.names(base)):
            place.delete(name)
    listed: set[str] = set()
    for backup_id in kept:
        manifest = read_manifest(place, backup_id)
        listed.update(object_name(entry.key) for entry in read_object_list(place, manifest))
    objects = freed = 0
    for name, size in list(place.listing(OBJECTS_PREFIX)):
        if name not in listed:
            place.delete(name)
            objects += 1
            freed += size
    return PruneResult(backups_removed=removed, objects_removed=objects, bytes_freed=freed)


@dataclass
class BackupCheck:
    backup_id: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt)


def backup_check(src: str, *, backup_id: str | None = None, parallel: int = 8,
                 progress: Callable[[Progress], None] | None = None) -> BackupCheck:
    """Read a backup through without restoring it: the database file and every object it lists (their
    SHA-256 re-computed). With object versions, only that each version is still in the bucket."""
    place = backup_place(src)
    manifest = read_manifest(place, backup_id)
    entries = read_object_list(place, manifest)
    report = progress or (lambda state: None)
    check = BackupCheck(backup_id=manifest["backup_id"])
    database = manifest["database"]
    with tempfile.TemporaryDirectory(prefix="dossier-check-") as work:
        dump = Path(work) / database["file"]
        report(Progress(stage="database"))
        place.get_file(f"{BACKUPS_PREFIX}{manifest['backup_id']}/{database['file']}", dump)
        if _file_sha256(dump) != database["sha256"]:
            check.corrupt.append(database["file"])
    versions = _versions_client() if manifest["objects"]["mode"] == "versions" else None
    there = dict(place.listing(OBJECTS_PREFIX)) if versions is None else {}
    state = Progress(stage="objects", total=len(entries))
    report(state)

    def verify(entry: ObjectEntry) -> tuple[ObjectEntry, str]:
        if versions is not None:
            from minio.error import S3Error

            client, bucket = versions
            try:
                size = client.stat_object(bucket, entry.key, version_id=entry.version_id).size
            except S3Error:
                return entry, "missing"
            return entry, "" if size == entry.size else "corrupt"
        if there.get(object_name(entry.key)) is None:
            return entry, "missing"
        hasher = hashlib.sha256()
        with place.open(object_name(entry.key)) as source:
            while chunk := source.read(_CHUNK):
                hasher.update(chunk)
        return entry, "" if hasher.hexdigest() == entry.sha256 else "corrupt"

    def verified(entry: ObjectEntry) -> ObjectEntry:
        checked, problem = verify(entry)
        if problem:
            (check.missing if problem == "missing" else check.corrupt).append(checked.key)
        return checked

    for _ in in_parallel(verified, entries, parallel):
        check.checked += 1
        state.done += 1
        report(state)
    check.missing.sort()
    check.corrupt.sort()
    return check


def stack_contents() -> list[str]:
    """What this stack holds that a restore would overwrite (empty: nothing)."""
    from django.contrib.auth import get_user_model

    from backend.audit.models import AuditEvent
    from backend.documents.integrity import object_references
    from backend.documents.models import Document
    from backend.documents.store import object_store
    from storage.base import CONTENT_PREFIX

    held = []
    tables = set(connection.introspection.table_names())
    models = [get_user_model(), AuditEvent, Document, *(r.model for r in object_references())]
    for model in dict.fromkeys(models):
        if model._meta.db_table in tables and model._default_manager.exists():
            held.append(f"{model._meta.verbose_name_plural} in the database")
    if next(iter(object_store().iter_objects(CONTENT_PREFIX)), None) is not None:
        held.append("objects in the document store")
    return held


def _empty_postgresql() -> None:
    """Drop every table, view, sequence and function of the schema the app uses."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        quote = connection.ops.quote_name
        cursor.execute("SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                       "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')", [schema])
        kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE",
                 "f": "FOREIGN TABLE"}
        # tables first: the sequences they own go with them
        for name, kind in sorted(cursor.fetchall(), key=lambda row: row[1] == "S"):
            cursor.execute(f"DROP {kinds[kind]} IF EXISTS {quote(schema)}.{quote(name)} CASCADE")
        cursor.execute("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                       "LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e' "
                       "WHERE n.nspname = %s AND d.objid IS NULL", [schema])
        for (signature,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")


def _restore_postgresql(path: Path) -> None:
    arguments, env = _pg_arguments()
    with transaction.atomic():
        _empty_postgresql()
    connection.close()
    _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          *arguments, str(path)], env, "pg_restore")


def _restore_sqlite(path: Path) -> None:
    target_name = connection.settings_dict["NAME"]
    connection.close()
    sqlite_restore(path, target_name)


def _restore_objects(place: BackupPlace, entries: list[ObjectEntry], mode: str, state: Progress,
                     report: Callable[[Progress], None], parallel: int) -> None:
    from minio.commonconfig import CopySource

    from backend.documents.store import object_store
    from storage.base import CONTENT_PREFIX

    store = object_store()
    versions = _versions_client() if mode == "versions" else None
    there = {info.key: info.size for info in store.iter_objects(CONTENT_PREFIX)}
    missing = []
    for entry in entries:
        if there.get(entry.key) == entry.size:
            state.reused += 1
            state.done += 1
        else:
            missing.append(entry)
    report(state)

    def put_back(entry: ObjectEntry) -> ObjectEntry:
        if versions is not None:
            client, bucket = versions
            if not entry.version_id:
                raise BackupError(f"backup lists {entry.key} without a version id")
            client.copy_object(bucket, entry.key, CopySource(bucket, entry.key, version_id=entry.version_id))
            return entry
        with place.open(object_name(entry.key)) as source:
            stored = store.put_stream(source, expected_sha256=entry.sha256)
        if stored.key != entry.key:
            raise BackupError(f"{entry.key} came back as {stored.key}: not a content key")
        return entry

    for entry in in_parallel(put_back, missing, parallel):
        state.copied += 1
        state.bytes_copied += entry.size
        state.done += 1
        report(state)


def in_parallel(work: Callable[[ObjectEntry], ObjectEntry], entries: list[ObjectEntry],
                parallel: int) -> Iterator[ObjectEntry]:
    """`work(entry)` for each entry, `parallel` at a time (object I/O waits on the network, not the CPU);
    yields each entry as it is done. The first failure stops the rest and is raised."""
    if parallel <= 1:
        for entry in entries:
            yield work(entry)
        return
    pending: set[Future] = set()
    queue = iter(entries)
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="dossier-backup") as pool:
        try:
            while True:
                while len(pending) < parallel * 2:
                    entry = next(queue, None)
                    if entry is None:
                        break
                    pending.add(pool.submit(work, entry))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()


def _versions_client():
    """A client of the document store's bucket (the store's own API has no versions)."""
    from minio import Minio

    from storage.factory import s3_connection
    from storage.s3.client import http_pool

    if not settings.STORAGE_URL.startswith("s3://"):
        raise BackupError("object versions need an s3:// document store (STORAGE_URL)")
    args = s3_connection(urlsplit(settings.STORAGE_URL))
    return Minio(args["endpoint"], access_key=args["access_key"], secret_key=args["secret_key"],
                 secure=args["secure"], region=args["region"], http_client=http_pool(5.0, 120.0, 8)), args["bucket"]


def _restore_checkpoint(record: dict | None) -> None:
    """Put the backed-up checkpoint where this stack keeps checkpoints (unless it is there already)."""
    from backend.audit.checkpoints import PREFIX, checkpoint_bucket
    from storage.errors import StoreError

    if record is None:
        return
    checkpoint = record["checkpoint"]
    key = f"{PREFIX}{checkpoint['head_id']:020d}-restored-{hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]}.json"
    bucket = checkpoint_bucket()
    if any(item.key == key for item in bucket.records(key)):
        return
    try:
        bucket.put(key, json.dumps(record).encode(), retain_days=settings.AUDIT_CHECKPOINT_RETENTION_DAYS)
    except StoreError:
        pass  # written meanwhile: write-once


def dossier_restore(src: str, *, backup_id: str | None = None, force: bool = False, parallel: int = 8, actor=None,
                    progress: Callable[[Progress], None] | None = None) -> RestoreResult:
    """Restore a backup from `src` onto this stack, which must be empty unless `force`."""
    from backend.audit import services as audit
    from backend.ops.audit_events import OPS_BACKUP_RESTORED

    place = backup_place(src)
    manifest = read_manifest(place, backup_id)
    entries = read_object_list(place, manifest)
    report = (lambda state: progress(state)) if progress else (lambda state: None)
    started = time.monotonic()
    database = manifest["database"]
    if database["vendor"] != connection.vendor:
        raise BackupError(f"backup {manifest['backup_id']} holds a {database['vendor']} database; "
                          f"this stack runs {connection.vendor}")
    held = stack_contents()
    if held and not force:
        raise StackNotEmpty("this stack is not empty (" + ", ".join(held) + "); restore onto an empty stack, "
                            "or pass --force to replace everything in it")
    with tempfile.TemporaryDirectory(prefix="dossier-restore-") as work:
        dump = Path(work) / database["file"]
        state = Progress(stage="database")
        report(state)
        place.get_file(f"{BACKUPS_PREFIX}{manifest['backup_id']}/{database['file']}", dump)
        if _file_sha256(dump) != database["sha256"]:
            raise BackupError(f"the database file of backup {manifest['backup_id']} does not match its manifest")
        if database["vendor"] == "postgresql":
            _restore_postgresql(dump)
        else:
            _restore_sqlite(dump)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    state = Progress(stage="objects", total=len(entries))
    report(state)
    from minio.error import S3Error
    from urllib3.exceptions import HTTPError

    from storage.errors import StoreError

    try:
        _restore_objects(place, entries, manifest["objects"]["mode"], state, report, parallel)
        _restore_checkpoint(manifest.get("audit_checkpoint"))
    except (BackupError, StoreError, S3Error, HTTPError, OSError) as exc:
        raise BackupError(f"the database is restored, but {state.done:,} of {state.total:,} objects are back ({exc}); "
                          "once the cause is fixed run dossier_restore again with --force (objects already back "
                          "are kept)") from exc
    result = RestoreResult(
        backup_id=manifest["backup_id"], objects=len(entries), objects_copied=state.copied,
        objects_present=state.reused, bytes_copied=state.bytes_copied,
        checkpoint_head_id=(manifest.get("audit_checkpoint") or {}).get("checkpoint", {}).get("head_id"),
        seconds=time.monotonic() - started,
    )
    with transaction.atomic():
        audit.record(OPS_BACKUP_RESTORED, actor=actor, target_type="ops.backup", target_id=manifest["backup_id"],
                     target_label=f"{redacted(src)} {manifest['backup_id']}",
                     detail={"objects": result.objects, "copied": result.objects_copied,
                             "present": result.objects_present, "forced": bool(held),
                             "backup_created_at": manifest["created_at"]})
    return result
