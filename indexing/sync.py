"""Bring the engine's entries of some documents in line with the database.

`documents_sync(ids)` extracts the text of versions not extracted yet (`indexing.extraction`),
rebuilds every index entry of those documents from the database — text, metadata, who may see
them and who may also read their text (`backend.access.policy.search_principals_for_documents`), CRM
links — and replaces what the engine held for them; documents that no longer exist are taken out. The outbox drain and the
full rebuild (`indexing.reindex`) both write through here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from backend.access.policy import search_principals_for_documents
from backend.documents.models import Document, DocumentVersion, VersionStatus
from indexing import links as crm_links
from indexing.backends import IndexDoc, SearchBackend
from indexing.engine import search_backend
from indexing.extraction import version_extract
from indexing.models import IndexStatus, VersionIndexState
from storage.errors import StoreUnavailable


def _effective_status(status: str, valid_until: dt.date | None, today: dt.date) -> str:
    if status == VersionStatus.APPROVED and valid_until is not None and valid_until < today:
        return VersionStatus.EXPIRED
    return status


def _filename_words(name: str) -> str:
    """ "供货合同_v2-final.pdf" -> "供货合同 v2 final pdf": separators in names are word breaks."""
    return " ".join(name.replace("_", " ").replace("-", " ").replace(".", " ").split())


def index_docs_for_documents(document_ids: Sequence[int]) -> tuple[list[IndexDoc], set[int]]:
    """(entries for every version of these documents, the ids that still exist). A fixed number of queries."""
    ids = list(document_ids)
    documents = {
        row["id"]: row
        # A document in the trash is left out, as if deleted: the index drops it until it is restored.
        for row in Document.objects.filter(pk__in=ids, trashed_at__isnull=True).values(
            "id", "title", "kind", "classification", "description", "valid_version_id"
        )
    }
    if not documents:
        return [], set()
    found = set(documents)
    tags: dict[int, list[str]] = defaultdict(list)
    for document_id, name in Document.tags.through.objects.filter(document_id__in=found).values_list(
        "document_id", "tag__name"
    ):
        tags[document_id].append(name)
    versions = list(
        DocumentVersion.objects.filter(document_id__in=found).values(
            "id", "document_id", "number", "original_filename", "comment", "mime_type", "status",
            "valid_until", "uploaded_by_id", "created_at",
        )
    )
    texts = dict(
        VersionIndexState.objects.filter(version_id__in=[v["id"] for v in versions], extracted_at__isnull=False)
        .values_list("version_id", "text")
    )
    principals = search_principals_for_documents(found)
    links = crm_links.links_for_documents(found)
    today = timezone.localdate()
    docs = []
    for version in versions:
        document = documents[version["document_id"]]
        link = links.get(version["document_id"]) or {}
        customer_names = [str(name) for name in link.get("customer_names", [])]
        meta = "\n".join(
            part
            for part in (
                _filename_words(version["original_filename"]),
                " ".join(sorted(tags.get(version["document_id"], []))),
                document["description"],
                version["comment"],
                " ".join(customer_names),
            )
            if part
        )
        docs.append(
            IndexDoc(
                version_id=version["id"],
                document_id=version["document_id"],
                title=document["title"],
                meta=meta,
                body=texts.get(version["id"], ""),
                kind=document["kind"],
                classification=document["classification"],
                status=_effective_status(version["status"], version["valid_until"], today),
                is_valid=document["valid_version_id"] == version["id"],
                mime_type=version["mime_type"],
                uploader_id=version["uploaded_by_id"],
                created_at=version["created_at"],
                principals=list(principals.get(version["document_id"], ((), ()))[0]),
                readers=list(principals.get(version["document_id"], ((), ()))[1]),
                customer_ids=[int(value) for value in link.get("customer_ids", [])],
                customer_names=customer_names,
                opportunity_ids=[int(value) for value in link.get("opportunity_ids", [])],
            )
        )
    return docs, found


@dataclass
class SyncReport:
    documents: int = 0
    versions: int = 0
    extracted: int = 0
    deleted: int = 0
    store_retry: set[int] = field(default_factory=set)  # documents with text still to read


def _versions_to_extract(document_ids: Sequence[int]) -> list[tuple[DocumentVersion, VersionIndexState]]:
    """Versions of these documents whose text has not been extracted yet (creating their state rows)."""
    fields = ("id", "document_id", "object_key", "sha256", "size", "mime_type")
    unseen = list(DocumentVersion.objects.filter(document_id__in=document_ids, index_state__isnull=True).only(*fields))
    if unseen:
        VersionIndexState.objects.bulk_create([VersionIndexState(version_id=v.pk) for v in unseen],
                                              ignore_conflicts=True)
    states = (
        VersionIndexState.objects.filter(version__document_id__in=document_ids, extracted_at__isnull=True,
                                         status=IndexStatus.PENDING)
        .select_related("version")
        .only(*(f"version__{name}" for name in fields), "version_id", "status", "attempts", "updated_at")
    )
    return [(state.version, state) for state in states]


def documents_sync(
    document_ids: Sequence[int], *, backend: SearchBackend | None = None, extract: bool = True
) -> SyncReport:
    """Extract what is not extracted yet, then make the engine hold exactly these documents' versions.

    Raises SearchUnavailable when the engine cannot be written (extraction results are kept).
    """
    backend = backend or search_backend()
    ids = sorted(set(document_ids))
    report = SyncReport(documents=len(ids))
    if not ids:
        return report
    if extract:
        for version, state in _versions_to_extract(ids):
            try:
                version_extract(version, state)
                report.extracted += 1
            except StoreUnavailable:
                report.store_retry.add(version.document_id)
    docs, found = index_docs_for_documents(ids)
    backend.replace_documents(ids, docs)
    report.versions = len(docs)
    report.deleted = len(set(ids) - found)
    now = timezone.now()
    indexed_ids = [doc.version_id for doc in docs]
    VersionIndexState.objects.filter(version_id__in=indexed_ids).update(indexed_at=now, updated_at=now)
    VersionIndexState.objects.filter(
        version_id__in=indexed_ids, status=IndexStatus.PENDING, extracted_at__isnull=False
    ).update(status=IndexStatus.INDEXED)
    return report
