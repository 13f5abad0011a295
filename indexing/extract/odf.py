"""OpenDocument text, spreadsheets and presentations: the text nodes of content.xml."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from indexing.extract.archive import open_zip
from indexing.extract.base import ExtractionFailed

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_BLOCKS = {f"{{{_TEXT_NS}}}p", f"{{{_TEXT_NS}}}h"}
_SPACE = f"{{{_TEXT_NS}}}s"
_TAB = f"{{{_TEXT_NS}}}tab"
_BREAK = f"{{{_TEXT_NS}}}line-break"
_CELL = f"{{{_TABLE_NS}}}table-cell"


def _block_text(element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == _SPACE:
            parts.append(" " * int(child.get(f"{{{_TEXT_NS}}}c", "1") or 1))
        elif child.tag in (_TAB, _BREAK):
            parts.append("\t" if child.tag == _TAB else "\n")
        else:
            parts.append(_block_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def extract(data: bytes, budget) -> str:
    archive = open_zip(data, budget, "the OpenDocument file")
    with archive:
        try:
            manifest = archive.read("META-INF/manifest.xml")
        except KeyError:
            manifest = b""
        if b"encryption-data" in manifest:
            raise ExtractionFailed("the OpenDocument file is encrypted (password-protected)")
        try:
            stream = archive.open("content.xml")
        except KeyError as exc:
            raise ExtractionFailed("the OpenDocument file is corrupt: content.xml is missing") from exc
        try:
            count = 0
            for event, element in ET.iterparse(stream, events=("end",)):
                if element.tag in _BLOCKS:
                    budget.add(_block_text(element))
                    element.clear()
                    count += 1
                    if count % 200 == 0:
                        budget.check()
                elif element.tag == _CELL:
                    element.clear()
        except ET.ParseError as exc:
            raise ExtractionFailed(f"the OpenDocument file is corrupt: {exc}") from exc
    return "odf"
