"""Writes of the search index: queue on commit, extract text, rewrite index entries, drain, rebuild.

Other apps call one hook after their transaction commits::

    transaction.on_commit(lambda: search_index.index_document_changed(document_id=doc.pk, reason="created"))

The hook adds an outbox row and starts the `indexing.sync_documents` task. The task (and the
periodic drain) extracts the text of versions not yet extracted, rebuilds every index entry of
the document from the database (text, metadata, principals, CRM links) and deletes the outbox
rows it handled. If the search engine is down the rows stay, uploads go on, and the backlog is
written as soon as a write succeeds again (or the next periodic drain runs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.access.policy import view_principals_for_documents
from backend.documents.store import object_store
from indexing.engine import search_backend
from backend.documents.models import Document, DocumentVersion, VersionStatus
from indexing import extract as extraction
from indexing.backends import IndexDoc, SearchBackend, SearchFilters, SearchUnavailable
from indexing import links as crm_links
from indexing.models import IndexStatus, ReindexRun, SearchOutbox, VersionIndexState
from storage.errors import ObjectCorrupt, ObjectNotFound, StoreUnavailable

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
BLOCKED_ENGINE = "engine"
BLOCKED_STORE = "store"
BLOCKED_LEASE = "lease"


# --- hooks (called on commit by documents, access and CRM services) -------------------------


def index_documents_changed(*, document_ids: Iterable[int], reason: str = "changed") -> None:
    """Queue documents for re-indexing and start the work. Never raises: the write already happened."""
    ids = sorted({int(document_id) for document_id in document_ids})
    if not ids:
        return
    try:
        SearchOutbox.objects.bulk_create([SearchOutbox(document_id=i, reason=reason[:40]) for i in ids])
    except Exception:  # noqa: BLE001 - the caller's change is committed; the reconcile job will find it
        logger.exception("could not queue documents %s for indexing", ids)
        return
    try:
        from indexing import tasks

        tasks.sync_documents.delay(ids)
    except Exception:  # noqa: BLE001 - broker down: the periodic drain picks the rows up
        logger.warning("could not start indexing of %s; the periodic drain will", ids, exc_info=True)


def index_document_changed(*, document_id: int, reason: str = "changed") -> None:
    """A document, one of its versions, its tags or its status changed (or it was deleted)."""
    index_documents_changed(document_ids=[document_id], reason=reason)


def index_document_acl_changed(*, document_id: int) -> None:
    """Who may see a document changed (grant, revoke, classification, CRM link)."""
    index_documents_changed(document_ids=[document_id], reason="access")


# --- extraction ----------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _set_result(state: VersionIndexState, *, status: str, reason: str = "", text: str = "",
                extractor: str = "", truncated: bool = False) -> None:
    state.status = status
    state.reason = reason[:500]
    state.text = text
    state.extractor = extractor[:40]
    state.text_truncated = truncated
    state.extracted_at = timezone.now()
    state.updated_at = state.extracted_at
    state.save()


def _read_content(version: DocumentVersion) -> bytes:
    chunks = object_store().iter_verified(version.object_key, sha256=version.sha256)
    return b"".join(chunks)


def version_extract(version: DocumentVersion, state: VersionIndexState) -> None:
    """Fill `state` with the version's text, or the reason there is none.

    Raises StoreUnavailable when the content cannot be read right now (the caller retries later);
    after SEARCH_EXTRACT_MAX_ATTEMPTS such tries, or a try that never finished, the version fails.
    """
    twin = (
        VersionIndexState.objects.filter(version__object_key=version.object_key, extracted_at__isnull=False)
        .exclude(version_id=version.pk)
        .exclude(reason__startswith="the document store")
        .first()
    )
    if twin is not None:  # same bytes (a restored version): reuse the text
        _set_result(state, status=IndexStatus.PENDING if twin.status == IndexStatus.INDEXED else twin.status,
                    reason=twin.reason, text=twin.text, extractor=twin.extractor, truncated=twin.text_truncated)
        return
    if not extraction.supported(version.mime_type):
        _set_result(state, status=IndexStatus.UNSUPPORTED, reason=f"no text extractor for {version.mime_type}")
        return
    limit = settings.SEARCH_EXTRACT_MAX_BYTES
    if version.size > limit:
        _set_result(state, status=IndexStatus.FAILED,
                    reason=f"the file is {_megabytes(version.size)}; text is extracted from files up to "
                           f"{_megabytes(limit)}")
        return
    max_attempts = settings.SEARCH_EXTRACT_MAX_ATTEMPTS
    if state.attempts >= max_attempts:
        _set_result(state, status=IndexStatus.FAILED,
                    reason=f"extraction did not finish in {state.attempts} attempts")
        return
    # Count the attempt before starting, so a worker killed mid-extraction still counts it.
    state.attempts += 1
    state.updated_at = timezone.now()
    state.save(update_fields=["attempts", "updated_at"])
    try:
        data = _read_content(version)
    except ObjectCorrupt:
        _set_result(state, status=IndexStatus.FAILED, reason="the stored content failed its checksum")
        return
    except ObjectNotFound:
        _set_result(state, status=IndexStatus.FAILED, reason="the stored content is missing from the store")
        return
    except StoreUnavailable:
        if state.attempts >= max_attempts:
            _set_result(state, status=IndexStatus.FAILED,
                        reason=f"the document store was unavailable {state.attempts} times")
            return
        raise
    budget = extraction.Budget(
        max_chars=settings.SEARCH_EXTRACT_MAX_CHARS,
        timeout_seconds=settings.SEARCH_EXTRACT_TIMEOUT_SECONDS,
        max_memory_mb=settings.SEARCH_EXTRACT_MAX_MEMORY_MB,
        max_expanded_bytes=settings.SEARCH_EXTRACT_MAX_EXPANDED_MB * 1024 * 1024,
    )
    try:
        result = extraction.extract(data, version.mime_type, budget=budget)
    except extraction.Unsupported as exc:
        _set_result(state, status=IndexStatus.UNSUPPORTED, reason=str(exc))
    except extraction.ExtractionFailed as exc:
        _set_result(state, status=IndexStatus.FAILED, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a library bug on a strange file must not stop indexing
        logger.exception("extracting version %s failed unexpectedly", version.pk)
        _set_result(state, status=IndexStatus.FAILED, reason=f"unreadable file ({type(exc).__name__}: {exc})")
    else:
        _set_result(state, status=IndexStatus.PENDING, text=result.text.replace("\x00", ""),
                    extractor=result.extractor, truncated=result.truncated)


# --- what the index holds for a document -----------------------------------------------------


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
        for row in Document.objects.filter(pk__in=ids).values(
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
    principals = view_principals_for_documents(found)
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
                principals=list(principals.get(version["document_id"], [])),
                customer_ids=[int(value) for value in link.get("customer_ids", [])],
                customer_names=customer_names,
                opportunity_ids=[int(value) for value in link.get("opportunity_ids", [])],
            )
        )
    return docs, found


# --- syncing documents to the engine ----------------------------------------------------------


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


# --- the outbox -------------------------------------------------------------------------------

_breaker = {"open_until": 0.0}


@dataclass
class DrainReport:
    documents: int = 0
    versions: int = 0
    rows: int = 0
    engine_error: str = ""
    store_retry: int = 0

    @property
    def ok(self) -> bool:
        return not self.engine_error


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(MAX_BACKOFF_SECONDS, 5 * 2 ** max(0, attempts)))


def _claim(*, batch: int, document_ids: Sequence[int] | None, include_engine_backlog: bool) -> dict[int, list[int]]:
    """Lease due outbox rows of up to `batch` documents: {document_id: [row ids]}."""
    now = timezone.now()
    due = Q(available_at__lte=now)
    if include_engine_backlog:
        due |= Q(blocked_on=BLOCKED_ENGINE)
    with transaction.atomic():
        rows = SearchOutbox.objects.filter(due)
        if document_ids is not None:
            rows = rows.filter(document_id__in=document_ids)
        picked = list(
            rows.select_for_update(skip_locked=True).order_by("id").values_list("id", "document_id")[: batch * 4]
        )
        claimed: dict[int, list[int]] = {}
        for row_id, document_id in picked:
            if document_id not in claimed and len(claimed) >= batch:
                continue
            claimed.setdefault(document_id, []).append(row_id)
        if claimed:
            SearchOutbox.objects.filter(id__in=[r for rows_ in claimed.values() for r in rows_]).update(
                available_at=now + dt.timedelta(seconds=settings.SEARCH_OUTBOX_LEASE_SECONDS), blocked_on=BLOCKED_LEASE
            )
    return claimed


def _release(row_ids: list[int], *, blocked_on: str, error: str) -> None:
    """Give leased rows back, due again after a back-off that grows with their attempts."""
    rows = SearchOutbox.objects.filter(id__in=row_ids)
    attempts = max(rows.values_list("attempts", flat=True), default=0)
    rows.update(
        attempts=F("attempts") + 1,
        available_at=timezone.now() + _backoff(attempts),
        blocked_on=blocked_on,
        last_error=error[:2000],
    )


def _engine_back(backend: SearchBackend) -> bool:
    """True when rows wait for the engine and it answers again."""
    if not SearchOutbox.objects.filter(blocked_on=BLOCKED_ENGINE).exists():
        return False
    try:
        backend.ping()
    except Exception:  # noqa: BLE001 - still down (or unreadable): the rows keep their back-off
        return False
    return True


def outbox_drain(
    *,
    document_ids: Sequence[int] | None = None,
    max_batches: int | None = None,
    backend: SearchBackend | None = None,
    respect_breaker: bool = False,
) -> DrainReport:
    """Sync queued documents until the outbox has nothing due (or the engine fails).

    After the first successful write the engine is known to be up, so rows held back by an
    earlier engine failure are drained too, without waiting for their back-off. The periodic drain
    (no `document_ids`) asks the engine first when such rows wait, so the backlog of an outage is
    written within one drain interval of the engine's return, not after the rows' back-off.
    """
    import time

    report = DrainReport()
    if respect_breaker and time.monotonic() < _breaker["open_until"]:
        report.engine_error = "search engine recently unavailable; queued"
        return report
    backend = backend or search_backend()
    batch = settings.SEARCH_OUTBOX_BATCH
    engine_up = document_ids is None and _engine_back(backend)
    batches = 0
    scope = list(document_ids) if document_ids is not None else None
    while max_batches is None or batches < max_batches:
        claimed = _claim(batch=batch, document_ids=scope, include_engine_backlog=engine_up)
        if not claimed:
            if scope is not None and engine_up:
                scope = None  # our documents are done: now the rest of the backlog
                continue
            break
        batches += 1
        row_ids = [row_id for rows in claimed.values() for row_id in rows]
        try:
            synced = documents_sync(list(claimed), backend=backend)
        except SearchUnavailable as exc:
            _release(row_ids, blocked_on=BLOCKED_ENGINE, error=str(exc))
            _breaker["open_until"] = time.monotonic() + 30
            report.engine_error = str(exc)
            logger.warning("search engine unavailable; %d documents stay queued: %s", len(claimed), exc)
            break
        except Exception as exc:  # noqa: BLE001 - keep the rows; report and stop this drain
            _release(row_ids, blocked_on=BLOCKED_ENGINE, error=f"{type(exc).__name__}: {exc}")
            logger.exception("indexing documents %s failed", sorted(claimed))
            report.engine_error = f"{type(exc).__name__}: {exc}"
            break
        _breaker["open_until"] = 0.0
        engine_up = True
        retry_rows = [row_id for document_id in synced.store_retry for row_id in claimed[document_id]]
        done_rows = [row_id for row_id in row_ids if row_id not in set(retry_rows)]
        SearchOutbox.objects.filter(id__in=done_rows).delete()
        if retry_rows:
            _release(retry_rows, blocked_on=BLOCKED_STORE, error="the document store is unavailable")
        report.documents += synced.documents
        report.versions += synced.versions
        report.rows += len(done_rows)
        report.store_retry += len(synced.store_retry)
    return report


def enqueue_expired(*, today: dt.date | None = None, days: int = 7) -> int:
    """Re-index documents whose approved version expired in the last `days` days (status "expired")."""
    today = today or timezone.localdate()
    ids = set(
        DocumentVersion.objects.filter(
            status=VersionStatus.APPROVED, valid_until__lt=today, valid_until__gte=today - dt.timedelta(days=days)
        ).values_list("document_id", flat=True)
    )
    if ids:
        index_documents_changed(document_ids=ids, reason="expired")
    return len(ids)


# --- full rebuild -----------------------------------------------------------------------------


def redacted_url(url: str) -> str:
    """SEARCH_URL without credentials, for logs and the reindex table."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password or parts.username:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=f"***@{netloc}")
    return urlunsplit(parts)


def reindex_start(*, clear: bool, re_extract: bool = False, backend: SearchBackend | None = None) -> ReindexRun:
    """A new run (resuming is reindex_resume_point()). With `clear` the index is emptied first."""
    backend = backend or search_backend()
    if clear:
        backend.clear()
    return ReindexRun.objects.create(
        backend=redacted_url(settings.SEARCH_URL),
        total_documents=Document.objects.count(),
        extract=re_extract,
    )


def reindex_resume_point() -> ReindexRun | None:
    """The newest unfinished run for this SEARCH_URL, if any."""
    return ReindexRun.objects.filter(
        backend=redacted_url(settings.SEARCH_URL), finished_at__isnull=True
    ).first()


def reindex_run(
    run: ReindexRun,
    *,
    batch_size: int = 500,
    retry_failed: bool = False,
    commit_seconds: float = 60.0,
    backend: SearchBackend | None = None,
    progress: Callable[[ReindexRun], None] | None = None,
) -> ReindexRun:
    """Rewrite every document after the run's checkpoint.

    The engine commits (and the checkpoint moves) every `commit_seconds`: committing each batch
    would stall the writer's indexing threads while we read and analyze the next one, and every
    commit ends the writer's segments early, so the engine has more small segments to merge (a
    60-second interval with the 1 GB bulk heap cut the engine's CPU per version by a fifth against
    10 seconds and 256 MB, measured over 30,000 versions; see the Search notes in BENCHMARKS.md).
    An interrupted run resumes from the last checkpoint, so at most that interval's work is done again.
    """
    import time

    backend = backend or search_backend()
    pending = {"documents": 0, "versions": 0, "last": run.last_document_id}
    last_commit = time.monotonic()

    def checkpoint() -> None:
        backend.commit()
        run.last_document_id = pending["last"]
        run.documents_done += pending["documents"]
        run.versions_done += pending["versions"]
        pending["documents"] = pending["versions"] = 0
        run.save(update_fields=["last_document_id", "documents_done", "versions_done"])

    with backend.bulk():
        cursor = run.last_document_id
        while True:
            ids = list(Document.objects.filter(pk__gt=cursor).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            reset = VersionIndexState.objects.filter(version__document_id__in=ids)
            if run.extract:
                reset.update(extracted_at=None, status=IndexStatus.PENDING, attempts=0, text="", reason="")
            elif retry_failed:
                reset.filter(status=IndexStatus.FAILED).update(
                    extracted_at=None, status=IndexStatus.PENDING, attempts=0, reason=""
                )
            synced = documents_sync(ids, backend=backend)
            cursor = ids[-1]
            pending["last"] = cursor
            pending["documents"] += len(ids)
            pending["versions"] += synced.versions
            if time.monotonic() - last_commit >= commit_seconds:
                checkpoint()
                last_commit = time.monotonic()
            if progress:
                progress(ReindexRun(pk=run.pk, documents_done=run.documents_done + pending["documents"],
                                    versions_done=run.versions_done + pending["versions"],
                                    total_documents=run.total_documents, last_document_id=cursor))
        checkpoint()
        # Entries of documents deleted while nobody was indexing.
        gone = sorted(backend.document_ids() - set(Document.objects.values_list("pk", flat=True)))
        for start in range(0, len(gone), 1000):
            backend.delete_documents(gone[start : start + 1000])
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return run


# --- searching: a read that discloses content, recorded -------------------------------------------


def _filters_detail(filters: SearchFilters | None) -> dict:
    """The filters that were set, as JSON for the audit trail."""
    if filters is None:
        return {}
    detail = {}
    for name, value in dataclasses.asdict(filters).items():
        if value in ((), [], None, False):
            continue
        detail[name] = list(value) if isinstance(value, (tuple, list)) else value
    return detail


def document_search(*, actor, q: str = "", filters: SearchFilters | None = None, sort: str = "relevance",
                    page: int = 1, page_size: int = 20, facets: tuple[str, ...] = (),
                    highlight_matches: bool = True, backend: SearchBackend | None = None):
    """Search (indexing.selectors.search_documents) and record it as `search.performed`: the query, the
    filters, the sort and page, how many versions matched and which documents the page showed — never the
    snippets. Browsing without a query or filter (the newest documents, as any document list) and a search
    that fails (bad query, engine down) are not recorded."""
    from backend.audit import services as audit
    from indexing.selectors import search_documents

    result = search_documents(user=actor, q=q, filters=filters, sort=sort, page=page, page_size=page_size,
                              facets=facets, highlight_matches=highlight_matches, backend=backend)
    chosen = _filters_detail(filters)
    if not q.strip() and not chosen:
        return result
    audit.record("search.performed", actor=actor, target_type="search.query", target_label=q[:200], detail={
        "q": q, "filters": chosen, "sort": sort, "page": result.page, "count": result.total,
        "document_ids": [row.version.document_id for row in result.results],
    })
    return result
