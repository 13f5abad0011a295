"""PDF text with pypdf, page by page (the deadline is checked between pages); pages without a text
layer (scans) are rendered and read by OCR (indexing.extract.ocr) when the budget allows OCR."""

from __future__ import annotations

import io
import logging

from indexing.extract import ocr
from indexing.extract.base import ExtractionFailed

# A page with fewer printable characters than this in its text layer is treated as a scan (a page
# number or a scanner's stamp does not make a page text).
_SCANNED_PAGE_CHARS = 10


# What PDF generators write when nobody set a title or author (reportlab's defaults among them);
# indexing these words would make every such PDF match "untitled" or "anonymous".
_PLACEHOLDER_METADATA = {"untitled", "unspecified", "anonymous", "unknown", "(anonymous)", "(unspecified)"}

def extract(data: bytes, budget) -> str:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                # Many PDFs are "encrypted" only to restrict printing, with an empty user password.
                if not reader.decrypt(""):
                    raise ExtractionFailed("the PDF is encrypted: a password is needed to read it")
            except (DependencyError, NotImplementedError) as exc:
                raise ExtractionFailed(f"the PDF is encrypted with a scheme we cannot open ({exc})") from exc
        pages = reader.pages
        info = reader.metadata
        if info is not None:
            budget.add(" ".join(
                str(value) for value in (info.title, info.subject, info.author)
                if value and str(value).strip().lower() not in _PLACEHOLDER_METADATA
            ))
        scanned: list[int] = []
        for number, page in enumerate(pages):
            budget.check()
            text = page.extract_text() or ""
            if len("".join(text.split())) < _SCANNED_PAGE_CHARS:
                scanned.append(number)
            budget.add(text)
        if scanned and budget.ocr_languages:
            try:
                recognised = ocr.ocr_pdf_pages(data, scanned, budget)
            except RuntimeError as exc:  # pdfium could not render a page pypdf could read: keep the text layer
                logging.getLogger(__name__).info("PDF page rendering for OCR failed: %s", exc)
                recognised = {}
            for number in sorted(recognised):
                budget.add(recognised[number])
            if recognised:
                return "ocr" if len(scanned) == len(pages) else "pdf+ocr"
    except ExtractionFailed:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractionFailed("the PDF is encrypted: a password is needed to read it") from exc
    except (PdfReadError, PdfStreamError) as exc:
        raise ExtractionFailed(f"the PDF is corrupt: {exc}") from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError, OSError) as exc:
        raise ExtractionFailed(f"the PDF is corrupt: {type(exc).__name__}: {exc}") from exc
    return "pdf"
