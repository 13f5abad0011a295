"""Which extractor reads which MIME type, and running it in this process (inside the sandbox child).

The table names extractors as "module:function" and imports them when used, so the format modules
(which call `extract_into` for e-mail attachments) and this one never import each other at load time.
"""

from __future__ import annotations

import importlib

from indexing.extract.base import Budget, BudgetFull, Extracted, ExtractionFailed, Extractor, Unsupported

_EXTRACTORS: dict[str, tuple[str, str]] = {
    "application/pdf": ("pdf", "indexing.extract.pdf:extract"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
        ("docx", "indexing.extract.office:extract_docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx", "indexing.extract.office:extract_xlsx"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation":
        ("pptx", "indexing.extract.office:extract_pptx"),
    "application/vnd.oasis.opendocument.text": ("odf", "indexing.extract.odf:extract"),
    "application/vnd.oasis.opendocument.spreadsheet": ("odf", "indexing.extract.odf:extract"),
    "application/vnd.oasis.opendocument.presentation": ("odf", "indexing.extract.odf:extract"),
    "text/plain": ("text", "indexing.extract.text:extract"),
    "text/csv": ("text", "indexing.extract.text:extract"),
    "text/html": ("html", "indexing.extract.markup:extract"),
    "application/xhtml+xml": ("html", "indexing.extract.markup:extract"),
    "message/rfc822": ("eml", "indexing.extract.eml:extract"),
    # scans and photos: read by OCR, only when the budget allows it (see `supported`)
    "image/jpeg": ("ocr", "indexing.extract.ocr:extract_image"),
    "image/png": ("ocr", "indexing.extract.ocr:extract_image"),
    "image/tiff": ("ocr", "indexing.extract.ocr:extract_image"),
}

OCR_ONLY = frozenset(mime for mime, (name, _) in _EXTRACTORS.items() if name == "ocr")
# What OCR may read (`search_reindex --ocr` extracts these again): images, and PDFs' scanned pages.
OCR_READABLE = OCR_ONLY | {"application/pdf"}


def supported(mime_type: str, *, ocr: bool = False) -> bool:
    """An extractor reads this type; image types only when `ocr` (OCR is configured and installed)."""
    if mime_type in OCR_ONLY:
        return ocr
    return mime_type in _EXTRACTORS


def _extractor(mime_type: str) -> tuple[str, Extractor]:
    entry = _EXTRACTORS.get(mime_type)
    if entry is None:
        raise Unsupported(f"no text extractor for {mime_type}")
    name, target = entry
    module, function = target.split(":")
    return name, getattr(importlib.import_module(module), function)


def extract_into(data: bytes, mime_type: str, budget: Budget) -> str:
    """Run the extractor for `mime_type`, adding text to `budget`. Returns the extractor label."""
    name, function = _extractor(mime_type)
    label = function(data, budget)
    return label or name


def extract_here(data: bytes, mime_type: str, budget: Budget) -> Extracted:
    """All the text of one file, in this process, within the budget (no memory or CPU limit of its
    own: call it only inside the sandbox child, see `indexing.extract.extract`)."""
    label = mime_type
    try:
        label = extract_into(data, mime_type, budget)
    except BudgetFull:
        label = _EXTRACTORS[mime_type][0]
        if budget.ocr_pages and label != "ocr":
            label += "+ocr"
    except MemoryError as exc:
        raise ExtractionFailed(f"the file needs more than the {budget.max_memory_mb} MB of memory allowed "
                               "to read it") from exc
    except RecursionError as exc:
        raise ExtractionFailed("the file is nested too deeply to read") from exc
    return Extracted(text=budget.text(), extractor=label, truncated=budget.truncated, ocr_pages=budget.ocr_pages,
                     ocr_pages_wanted=budget.ocr_pages_wanted, ocr_confidence=budget.ocr_confidence())


def extract_for_child(data: bytes, params: dict) -> tuple[dict, bytes]:
    """The sandbox child's target: (facts, text as UTF-8) or the reason there is no text."""
    budget = Budget(**params["limits"])
    try:
        result = extract_here(data, params["mime_type"], budget)
    except Unsupported as exc:
        return {"status": "unsupported", "reason": str(exc)}, b""
    except ExtractionFailed as exc:
        return {"status": "failed", "reason": str(exc)}, b""
    # "replace": a lone surrogate from a strange PDF font must not fail the whole text
    return ({"status": "ok", "extractor": result.extractor, "truncated": result.truncated,
             "ocr_pages": result.ocr_pages, "ocr_pages_wanted": result.ocr_pages_wanted,
             "ocr_confidence": result.ocr_confidence},
            result.text.encode("utf-8", "replace"))
