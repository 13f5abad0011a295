"""File names from clients: keep the original for display, store a safe one for downloads."""

from __future__ import annotations

import re
import unicodedata

from backend.common.text import clean_line

_MAX_BYTES = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def display_filename(raw: str) -> str:
    """The name as the user gave it, minus control, bidi-override and zero-width characters, for showing
    back to people (the services audit the name as sent when this changed it)."""
    return clean_line(raw)[:255] or "file"


def sanitize_filename(raw: str) -> str:
    """A name safe on any file system and in a Content-Disposition header.

    Drops directory parts (both separators), control, bidi-override, zero-width and
    reserved characters, leading dots, trailing dots and spaces; renames Windows device
    names; caps the length in UTF-8 bytes while keeping the extension.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = clean_line(_CONTROL.sub("", name))
    name = _FORBIDDEN.sub("_", name)
    name = name.strip().lstrip(".").rstrip(". ")
    if not name:
        return "file"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    ext = ext[:16]
    budget = _MAX_BYTES - len(ext.encode()) - (1 if ext else 0)
    encoded = stem.encode()[:budget]
    stem = encoded.decode("utf-8", errors="ignore").rstrip(". ") or "file"
    return f"{stem}.{ext}" if ext else stem
