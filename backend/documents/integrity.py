"""Keeping the object store and the database in agreement.

    storage_orphans_sweep   deletes objects no version references (after a grace period)
    storage_integrity_check reports missing, corrupt (size or checksum) and orphan objects
Both stream through the store and the tables in batches; memory does not grow with their size.

Which tables point at stored objects is registered by the apps that own them, from their
AppConfig.ready(): `register_object_references(ServiceAttachment)`. Documents registers its versions;
an object is an orphan when no registered table references its key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.utils import timezone

from backend.documents.store import object_store
from storage import ObjectInfo
from storage.base import CONTENT_PREFIX, STAGING_PREFIX
from storage.errors import ObjectCorrupt, ObjectHeld, ObjectNotFound

_BATCH = 1000


def _batched(items: Iterator[ObjectInfo], size: int = _BATCH) -> Iterator[list[ObjectInfo]]:
    batch: list[ObjectInfo] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class ObjectReferences:
    """A table whose rows point at stored objects: the key, and the checksum and size the object must have."""

    model: type[Model]
    key_field: str = "object_key"
    sha256_field: str = "sha256"
    size_field: str = "size"

    def rows(self) -> QuerySet:
        # Without the model's default ordering: SQLite refuses ORDER BY inside a UNION's parts.
        return self.model._default_manager.order_by()

    def with_keys(self, keys) -> QuerySet:
        return self.rows().filter(**{f"{self.key_field}__in": keys})


_references: dict[str, ObjectReferences] = {}


def register_object_references(model: type[Model], *, key_field: str = "object_key", sha256_field: str = "sha256",
                               size_field: str = "size") -> None:
    """Declare that `model`'s rows reference stored objects (by key, with their sha256 and size), so the
    sweep keeps those objects and the integrity check verifies them. Call it from the app's ready()."""
    _references[model._meta.label_lower] = ObjectReferences(model, key_field, sha256_field, size_field)


def object_references() -> list[ObjectReferences]:
    """Every registered table that references stored objects, in the order they were registered."""
    return list(_references.values())


def referenced_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for references in object_references():
        found.update(references.with_keys(keys).values_list(references.key_field, flat=True))
    return found


def is_referenced(key: str) -> bool:
    return any(references.with_keys([key]).exists() for references in object_references())


def _unreferenced(objects: list[ObjectInfo]) -> list[ObjectInfo]:
    referenced = referenced_keys([info.key for info in objects])
    return [info for info in objects if info.key not in referenced]


def _orphans(*, older_than: dt.datetime | None) -> Iterator[ObjectInfo]:
    store = object_store()
    for info in store.iter_objects(STAGING_PREFIX):
        if older_than is None or info.last_modified < older_than:
            yield info
    for batch in _batched(store.iter_objects(CONTENT_PREFIX)):
        for info in _unreferenced(batch):
            if older_than is None or info.last_modified < older_than:
                yield info


@dataclass
class SweepReport:
    deleted: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    aborted_uploads: list[str] = field(default_factory=list)
    dry_run: bool = False
    held: list[str] = field(default_factory=list)  # orphans the store holds (a lifted hold not yet released)


def _held_on_store(store, key: str) -> bool:
    from backend.documents.models import HeldObject

    return HeldObject.objects.filter(object_key=key).exists() or store.is_legally_held(key)


def storage_orphans_sweep(*, grace_seconds: int, dry_run: bool = False) -> SweepReport:
    """Delete objects that no version references and that are older than the grace period.

    The grace period protects uploads whose bytes have landed but whose row is
    still being committed. Each candidate is re-checked just before deletion.
    """
    store = object_store()
    cutoff = timezone.now() - dt.timedelta(seconds=grace_seconds)
    report = SweepReport(dry_run=dry_run)
    for info in _orphans(older_than=cutoff):
        if info.key.startswith(CONTENT_PREFIX) and is_referenced(info.key):
            continue
        if info.key.startswith(CONTENT_PREFIX) and _held_on_store(store, info.key):
            report.held.append(info.key)
            continue
        if not dry_run:
            try:
                store.delete(info.key)
            except ObjectHeld:
                report.held.append(info.key)
                continue
        report.deleted.append(info.key)
        report.bytes_freed += info.size
    # Multipart uploads a crashed process never completed nor aborted (S3 stores only).
    for upload in getattr(store, "iter_incomplete_uploads", lambda: iter(()))():
        if upload.initiated is not None and upload.initiated >= cutoff:
            continue
        if not dry_run:
            store.abort_incomplete_upload(upload.key, upload.upload_id)
        report.aborted_uploads.append(upload.key)
    return report


@dataclass
class IntegrityReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    orphans: list[str] = field(default_factory=list)
    # Legal holds: how many objects active holds cover; those of them the store does not hold (not yet
    # synced, or released behind Dossier's back: a failure); orphans the store still holds (a lifted
    # hold not yet released: kept, not a failure).
    held: int = 0
    not_held: list[str] = field(default_factory=list)
    held_orphans: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt or self.orphans or self.not_held)


def storage_integrity_check(*, verify_content: bool = True) -> IntegrityReport:
    """Every referenced object exists with the right size (and checksum); list orphans."""
    store = object_store()
    report = IntegrityReport()
    tables = object_references()
    first, *others = [
        references.rows().values_list(references.key_field, references.sha256_field, references.size_field)
        for references in tables
    ]
    rows = (first.union(*others) if others else first).order_by(tables[0].key_field)
    for key, sha256, size in rows.iterator(chunk_size=_BATCH):
        report.checked += 1
        try:
            info = store.stat(key)
        except ObjectNotFound:
            report.missing.append(key)
            continue
        if info.size != size:
            report.corrupt.append((key, f"size {info.size}, expected {size}"))
            continue
        if verify_content:
            try:
                for _ in store.iter_verified(key, sha256=sha256):
                    pass
            except ObjectCorrupt as exc:
                report.corrupt.append((key, f"sha256 {exc.actual}, expected {exc.expected}"))
    from backend.documents.holds import held_object_keys

    for info in _orphans(older_than=None):
        if info.key.startswith(CONTENT_PREFIX) and _held_on_store(store, info.key):
            report.held_orphans.append(info.key)
        else:
            report.orphans.append(info.key)
    wanted = sorted(held_object_keys())
    report.held = len(wanted)
    for key in wanted:
        if not store.is_legally_held(key):
            report.not_held.append(key)
    return report
