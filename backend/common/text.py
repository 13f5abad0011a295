"""Cleaning the single-line text people type or send us: titles, file names, customer and contact names.

One function, `clean_line`, used by every service that stores such a name. It removes what is
invisible or dangerous to show back: control characters (C0, DEL and C1, including carriage
return and line feed, which reached an e-mail subject once), bidirectional overrides and isolates
(which make "invoice‮fdp.exe" read as "invoiceexe.pdf") and zero-width characters. It keeps
every visible character of every script. Free text (descriptions, comments) keeps its line
breaks: use `clean_multiline` for it.
"""

from __future__ import annotations

import re
import unicodedata

# U+202A-U+202E: LRE, RLE, PDF, LRO, RLO; U+2066-U+2069: LRI, RLI, FSI, PDI.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Zero-width space, non-joiner, joiner; word joiner; byte-order mark (zero-width no-break space).
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

_INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}{ZERO_WIDTH}]")
# The same, but keeping line feeds and tabs (carriage returns are dropped: \r\n becomes \n).
_INVISIBLE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}{ZERO_WIDTH}]")
_SPACES = re.compile(r"\s+")


def clean_line(value: str | None) -> str:
    """One line of visible text: NFC, no control/bidi/zero-width characters, runs of white space as one
    space (a tab or line break between words becomes a space), trimmed."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = _INVISIBLE.sub(lambda match: " " if match.group() in "\t\n\r\v\f" else "", text)
    return _SPACES.sub(" ", text).strip()


def clean_multiline(value: str | None) -> str:
    """Free text: as clean_line, but line breaks and tabs stay; trailing white space is trimmed."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return _INVISIBLE_KEEP_LINES.sub("", text).strip()


def header_safe(value: str | None) -> str:
    """Text that may go into a header (an e-mail subject, a file name in Content-Disposition): clean_line
    of it, so no line break can start a new header whatever the caller stored."""
    return clean_line(value)
