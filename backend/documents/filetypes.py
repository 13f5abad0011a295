"""What a file really is, from its first bytes (python-magic), never from its name.

The name is consulted only to tell apart types that libmagic reports as one
family (CSV is plain text; an old Office file is an OLE container). It can
never turn a disallowed type into an allowed one of another family.
"""

from __future__ import annotations

import os

import magic

# Bytes read from the start of an upload to decide its type; enough for libmagic
# to look inside OOXML/ODF zip containers.
SNIFF_BYTES = 64 * 1024

_OOXML_MARKERS = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
_OLE_BY_EXTENSION = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
_OLE_TYPES = {"application/x-ole-storage", "application/cdfv2", "application/CDFV2"}
_TEXT_BY_EXTENSION = {".csv": "text/csv", ".eml": "message/rfc822"}

_LABELS = {
    "application/pdf": "PDF",
    "application/msword": "Word 97-2003",
    "application/vnd.ms-excel": "Excel 97-2003",
    "application/vnd.ms-powerpoint": "PowerPoint 97-2003",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (DOCX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (XLSX)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint (PPTX)",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "text/plain": "plain text",
    "text/csv": "CSV",
    "message/rfc822": "e-mail",
    "application/x-dosexec": "Windows executable",
    "application/x-executable": "executable",
    "application/x-sharedlib": "executable or shared library",
    "application/x-pie-executable": "executable",
    "text/x-shellscript": "shell script",
    "text/html": "HTML",
    "application/zip": "ZIP archive",
}


def sniff_mime(head: bytes, filename: str = "") -> str:
    """The MIME type of content starting with `head`."""
    if not head:
        return "application/x-empty"
    detected = magic.from_buffer(head, mime=True) or "application/octet-stream"
    extension = os.path.splitext(filename.lower())[1]
    if detected == "application/zip" and head.startswith(b"PK\x03\x04"):
        for marker, mime in _OOXML_MARKERS:
            if marker in head:
                return mime
    if detected in _OLE_TYPES and extension in _OLE_BY_EXTENSION:
        return _OLE_BY_EXTENSION[extension]
    if detected == "text/plain" and extension in _TEXT_BY_EXTENSION:
        return _TEXT_BY_EXTENSION[extension]
    return detected


def describe_mime(mime: str) -> str:
    label = _LABELS.get(mime)
    if label:
        return f"{label} ({mime})"
    if mime.startswith("image/"):
        return f"{mime.split('/', 1)[1].upper()} image ({mime})"
    return mime
