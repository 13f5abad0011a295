"""The text of one stored version: read it from the store, extract it within limits, record the outcome.

The extractors themselves (one per file family, run in a limited child process) are in
`indexing.extract`; this module decides whether a version is worth extracting (type, size,
attempts, a twin with the same bytes), reads its verified content and writes the result — text,
or the reason there is none — to its `VersionIndexState` row.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from backend.documents.models import DocumentVersion
from backend.documents.store import object_store
from indexing import extract as extractors
from indexing.models import IndexStatus, VersionIndexState
from storage.errors import ObjectCorrupt, ObjectNotFound, StoreUnavailable

logger = logging.getLogger(__name__)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _set_result(state: VersionIndexState, *, status: str, reason: str = "", text: str = "",
                extractor: str = "", truncated: bool = False, ocr_pages: int = 0, ocr_pages_wanted: int = 0,
                ocr_confidence: float | None = None) -> None:
    state.ocr_pages = ocr_pages
    state.ocr_pages_wanted = ocr_pages_wanted
    state.ocr_confidence = ocr_confidence
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
                    reason=twin.reason, text=twin.text, extractor=twin.extractor, truncated=twin.text_truncated,
                    ocr_pages=twin.ocr_pages, ocr_pages_wanted=twin.ocr_pages_wanted,
                    ocr_confidence=twin.ocr_confidence)
        return
    ocr_languages = settings.SEARCH_OCR_LANGUAGES if extractors.ocr_enabled(settings.SEARCH_OCR_LANGUAGES) else ""
    if not extractors.supported(version.mime_type, ocr=bool(ocr_languages)):
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
    budget = extractors.Budget(
        max_chars=settings.SEARCH_EXTRACT_MAX_CHARS,
        timeout_seconds=settings.SEARCH_EXTRACT_TIMEOUT_SECONDS,
        max_memory_mb=settings.SEARCH_EXTRACT_MAX_MEMORY_MB,
        max_expanded_bytes=settings.SEARCH_EXTRACT_MAX_EXPANDED_MB * 1024 * 1024,
        ocr_languages=ocr_languages,
        ocr_dpi=settings.SEARCH_OCR_DPI,
        ocr_max_pixels=settings.SEARCH_OCR_MAX_PIXELS,
        ocr_max_pages=settings.SEARCH_OCR_MAX_PAGES,
    )
    try:
        result = extractors.extract(data, version.mime_type, budget=budget)
    except extractors.Unsupported as exc:
        _set_result(state, status=IndexStatus.UNSUPPORTED, reason=str(exc))
    except extractors.ExtractionFailed as exc:
        _set_result(state, status=IndexStatus.FAILED, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a library bug on a strange file must not stop indexing
        logger.exception("extracting version %s failed unexpectedly", version.pk)
        _set_result(state, status=IndexStatus.FAILED, reason=f"unreadable file ({type(exc).__name__}: {exc})")
    else:
        version_record_extracted(state, result)


def version_record_extracted(state: VersionIndexState, result: extractors.Extracted) -> None:
    """Keep an extraction's text and facts (OCR pages and confidence) on the version's state, to be indexed."""
    reason = ""
    if result.ocr_pages < result.ocr_pages_wanted:
        reason = (f"OCR read {result.ocr_pages} of {result.ocr_pages_wanted} scanned pages within the time "
                  "and page limits")
    _set_result(state, status=IndexStatus.PENDING, reason=reason, text=result.text.replace("\x00", ""),
                extractor=result.extractor, truncated=result.truncated, ocr_pages=result.ocr_pages,
                ocr_pages_wanted=result.ocr_pages_wanted, ocr_confidence=result.ocr_confidence)
