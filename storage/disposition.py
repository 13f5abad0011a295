"""Content-Disposition values that survive any file name (RFC 6266 / RFC 5987)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

# RFC 5987 attr-char minus the ones `quote` always leaves alone.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"


def _clean(filename: str) -> str:
    """Drop directory parts and control characters; never return an empty name."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".")
    return name or "download"


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = "".join("_" if ch in '"\\' else ch for ch in folded).strip()
    if not folded or folded.startswith("."):
        stem, dot, ext = name.rpartition(".")
        ascii_ext = ext.encode("ascii", "ignore").decode("ascii") if dot else ""
        folded = "download" + ("." + ascii_ext if ascii_ext else "")
    return folded


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="report.pdf"`, plus `filename*=UTF-8''…` when the
    name is not plain ASCII (old clients read the first, all others the second)."""
    kind = "inline" if inline else "attachment"
    name = _clean(filename)
    fallback = _ascii_fallback(name)
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe=_ATTR_CHAR_SAFE)
    return value
