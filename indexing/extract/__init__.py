"""Text extraction, one module per file family, chosen by the sniffed MIME type.

    extract(data, mime_type, budget=Budget(...)) -> Extracted(text, extractor, truncated)

Every file is read in a sandboxed child process (`sandbox`; `pool` keeps a few warm and reuses them):
the parsers (pypdf, lxml under python-docx/openpyxl/python-pptx, the ODF and e-mail readers) see
untrusted bytes, and a crafted file must not hold a request or a worker, nor take its memory. The child is limited to the
budget's memory (RLIMIT_AS), CPU and wall-clock time; zip containers are checked member by member
before any reader expands them (`archive`). Extractors add text to a `Budget`, which stops them
when the text is long enough (the rest is not indexed; `truncated` says so). A file that cannot be
read (corrupt, encrypted, too large, too slow, a zip bomb, needing too much memory) raises
`ExtractionFailed` with a reason a person can act on; a type we have no extractor for raises
`Unsupported`.

Layout: `base` (errors, Budget, Extracted; imports nothing of ours), `archive` (zip checks),
`decoding` (bytes to text: BOMs, UTF-8, GB18030, an HTML page's charset), `html_text` (markup to
visible text), `registry` (MIME type -> extractor, run in this process), `sandbox` + `child` (the
child process), `pool` (long-lived children, each reading many files one at a time), and the format
modules (pdf, office, odf, eml, markup, text), which import only those, never each other; `ocr`
(Tesseract, for images and scanned PDF pages) is one of those shared helpers: `pdf` calls it for pages
without a text layer, and it reads images itself. OCR runs only when the budget names languages.
"""

from __future__ import annotations

import logging
import math

from indexing.extract.base import MB, Budget, Extracted, ExtractionFailed, Unsupported
from indexing.extract.pool import ChildPool, shared_pool
from indexing.extract.registry import supported
from indexing.extract.sandbox import ChildFailed, ChildLimits

__all__ = ["Budget", "Extracted", "ExtractionFailed", "Unsupported", "extract", "ocr_enabled", "supported"]


def ocr_enabled(languages: str) -> bool:
    """OCR can run here: languages are configured and tesseract is installed."""
    from indexing.extract.ocr import available

    return available(languages)

logger = logging.getLogger(__name__)

# Time for the child interpreter to start and import its reader, on top of the extraction's own
# deadline (which the extractor checks itself and reports more precisely).
_START_GRACE_SECONDS = 15


def _limits(budget: Budget) -> ChildLimits:
    return ChildLimits(
        memory_mb=budget.max_memory_mb,
        cpu_seconds=math.ceil(budget.timeout_seconds) + 5,
        wall_seconds=budget.timeout_seconds + _START_GRACE_SECONDS,
        # the text in UTF-8 (at most 4 bytes a character), with room to spare
        output_bytes=4 * budget.max_chars + MB,
    )


def _failure(exc: ChildFailed, budget: Budget) -> ExtractionFailed:
    if exc.kind == "memory":
        return ExtractionFailed(f"the file needs more than the {budget.max_memory_mb} MB of memory allowed "
                                "to read it")
    if exc.kind == "time":
        return ExtractionFailed(f"extraction took longer than {budget.timeout_seconds:g} s and was stopped")
    if exc.kind == "recursion":
        return ExtractionFailed("the file is nested too deeply to read")
    if exc.kind == "output":
        return ExtractionFailed("the file's text is larger than the extraction limit")
    if exc.kind == "error":
        return ExtractionFailed(f"unreadable file ({exc.detail})")
    return ExtractionFailed(f"the file crashed its reader ({exc.detail or exc.kind}; the limit is "
                            f"{budget.max_memory_mb} MB of memory)")


def _pool() -> ChildPool:
    """The process's pool of extraction children, sized by SEARCH_EXTRACT_POOL_SIZE (idle children kept)
    and SEARCH_EXTRACT_CHILD_MAX_FILES (files one child reads before it is replaced)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    pool = shared_pool()
    try:
        pool.configure(size=getattr(settings, "SEARCH_EXTRACT_POOL_SIZE", 2),
                       max_files=getattr(settings, "SEARCH_EXTRACT_CHILD_MAX_FILES", 100))
    except ImproperlyConfigured:  # used outside Django (a script): the defaults
        pass
    return pool


def _child_still_clean(meta: dict) -> bool:
    """A child that could not read a file (it may have run out of memory on the way) reads no other."""
    return meta.get("status") in ("ok", "unsupported")


def extract(data: bytes, mime_type: str, *, budget: Budget | None = None) -> Extracted:
    """All the text of one file, within the budget, read in a limited child process."""
    budget = budget or Budget()
    if not supported(mime_type, ocr=bool(budget.ocr_languages)):
        raise Unsupported(f"no text extractor for {mime_type}")
    params = {"mime_type": mime_type, "limits": budget.limits()}
    try:
        meta, text = _pool().run("indexing.extract.registry:extract_for_child", data, params, _limits(budget),
                                 keep=_child_still_clean)
    except ChildFailed as exc:
        logger.info("extraction of a %s file stopped: %s", mime_type, exc)
        raise _failure(exc, budget) from None
    status = meta.get("status")
    if status == "unsupported":
        raise Unsupported(str(meta.get("reason", "")))
    if status != "ok":
        raise ExtractionFailed(str(meta.get("reason") or "the file could not be read"))
    confidence = meta.get("ocr_confidence")
    return Extracted(text=text.decode("utf-8", "replace"), extractor=str(meta.get("extractor", mime_type))[:40],
                     truncated=bool(meta.get("truncated")), ocr_pages=int(meta.get("ocr_pages") or 0),
                     ocr_pages_wanted=int(meta.get("ocr_pages_wanted") or 0),
                     ocr_confidence=float(confidence) if confidence is not None else None)
