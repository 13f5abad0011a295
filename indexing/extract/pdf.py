"""PDF text with pypdf, page by page (the deadline is checked between pages)."""

from __future__ import annotations

import io
import logging

from indexing.extract.base import ExtractionFailed


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
        for page in pages:
            budget.check()
            budget.add(page.extract_text() or "")
    except ExtractionFailed:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractionFailed("the PDF is encrypted: a password is needed to read it") from exc
    except (PdfReadError, PdfStreamError) as exc:
        raise ExtractionFailed(f"the PDF is corrupt: {exc}") from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError, OSError) as exc:
        raise ExtractionFailed(f"the PDF is corrupt: {type(exc).__name__}: {exc}") from exc
    return "pdf"
