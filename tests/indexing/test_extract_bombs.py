"""Hostile Office files: zip bombs, lying size headers, spreadsheets that eat memory and time.

Every file is built here. Extraction must end (a generous pytest timeout guards each test) with a
failed status and a reason naming the limit, and the test process itself — the parent of the
sandboxed extraction — must not grow: the child pays for the file, under its own limits.
"""

from __future__ import annotations

import io
import resource
import struct
import zipfile

import pytest

from indexing.extract import Budget, ExtractionFailed, extract
from indexing.models import IndexStatus, VersionIndexState
from tests import factories
from tests.indexing import files
from tests.indexing.helpers import engine_hits

MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def peak_rss_mb() -> float:
    """This process's high-water mark of resident memory (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rezip(original: bytes, replace: dict, add: dict | None = None, level: int = 9) -> bytes:
    """`original` with members rewritten: replace[name](writer) streams the new content."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for info in source.infolist():
            if info.filename in replace:
                with target.open(info.filename, "w") as member:
                    replace[info.filename](member)
            else:
                target.writestr(info, source.read(info.filename))
        for name, write in (add or {}).items():
            with target.open(name, "w") as member:
                write(member)
    return out.getvalue()


def docx_of_zeros(count: int) -> bytes:
    """A well-formed DOCX whose one paragraph is `count` '0' characters (compresses ~1000:1)."""
    def write(member):
        member.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body><w:p><w:r>'
                     "<w:t>".encode())
        block = b"0" * MB
        for _ in range(count // MB):
            member.write(block)
        member.write(b"0" * (count % MB) + b"</w:t></w:r></w:p></w:body></w:document>")

    return _rezip(files.docx_with("decoy"), {"word/document.xml": write})


def with_lying_size(data: bytes, name: str, declared: int) -> bytes:
    """`data` with the uncompressed size of member `name` rewritten to `declared` in both its local
    header and its central directory entry (the deflated bytes are untouched)."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(name).header_offset
    struct.pack_into("<L", patched, offset + 22, declared)  # local header: uncompressed size
    position = patched.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", patched, position + 28)[0]
        if bytes(patched[position + 46:position + 46 + name_length]) == name.encode():
            struct.pack_into("<L", patched, position + 24, declared)  # central directory: uncompressed size
        position = patched.find(b"PK\x01\x02", position + 4)
    return bytes(patched)


def xlsx_with_shared_strings(count: int) -> bytes:
    """A real XLSX plus a sharedStrings part of `count` short strings: small on disk, compressing
    only ~9:1 (no ratio alarm), yet openpyxl builds every string before the first row is read."""
    block_size = 100_000

    def strings(member):
        member.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for start in range(0, count, block_size):
            member.write("".join(f"<si><t>{start}-{i}</t></si>" for i in range(block_size)).encode())
        member.write(b"</sst>")

    def content_types(member):
        member.write(types.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                   b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"'
                                   b"/></Types>"))

    original = files.xlsx_with(("报价", "x"))
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        types = archive.read("[Content_Types].xml")
    return _rezip(original, {"[Content_Types].xml": content_types}, add={"xl/sharedStrings.xml": strings}, level=1)


# --- the extractor ---------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_docx_of_300_mb_of_zeros_is_refused_by_the_expansion_limit():
    # given a DOCX of a few hundred KB whose document.xml expands to 300 MB
    bomb = docx_of_zeros(300 * MB)
    assert len(bomb) < 2 * MB
    before = peak_rss_mb()
    # when its text is extracted with the default budget
    with pytest.raises(ExtractionFailed) as failed:
        extract(bomb, DOCX)
    # then it is refused, the reason names the limit, and this process never held the expansion
    assert "zip bomb" in str(failed.value) and "256 MB limit" in str(failed.value)
    assert peak_rss_mb() - before < 100


@pytest.mark.timeout(120)
def test_a_docx_under_the_total_limit_but_compressed_1000_to_1_is_refused_by_the_ratio():
    # given a DOCX whose document.xml is 60 MB of zeros (under the 256 MB total)
    bomb = docx_of_zeros(60 * MB)
    # when extracted, then the expansion ratio of its member refuses it
    with pytest.raises(ExtractionFailed, match=r"word/document.xml expands \d+ times \(limit 200 times\)"):
        extract(bomb, DOCX)


@pytest.mark.timeout(120)
def test_a_member_whose_size_header_lies_is_refused_while_it_is_decompressed():
    # given a DOCX whose document.xml says it is 1,000 bytes but expands to 50 MB
    liar = with_lying_size(docx_of_zeros(50 * MB), "word/document.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 1000
    # when extracted, then counting the real bytes exposes the lie
    with pytest.raises(ExtractionFailed, match="more data than the 1000 bytes it declares"):
        extract(liar, DOCX)


@pytest.mark.timeout(120)
def test_an_xlsx_with_millions_of_shared_strings_is_stopped_at_the_time_limit():
    # given a spreadsheet of a few MB with 1.5 million shared strings (a minute of parsing, hundreds of MB)
    sheet = xlsx_with_shared_strings(1_500_000)
    assert len(sheet) < 20 * MB
    before = peak_rss_mb()
    # when extracted with a 2-second budget
    with pytest.raises(ExtractionFailed, match=r"longer than 2 s and was stopped"):
        extract(sheet, XLSX, budget=Budget(timeout_seconds=2))
    # then the child was stopped by its limit and this process did not parse it
    assert peak_rss_mb() - before < 100


@pytest.mark.timeout(120)
def test_an_extraction_that_needs_more_memory_than_allowed_fails_naming_the_cap():
    # given a DOCX of 150 MB of zeros, and a budget whose archive limits would let it through,
    # so that only the child's memory limit (200 MB of address space) stands in the way
    bomb = docx_of_zeros(150 * MB)
    budget = Budget(max_expansion_ratio=5000, max_memory_mb=200)
    before = peak_rss_mb()
    # when extracted, then the child runs out of its memory, not this process
    with pytest.raises(ExtractionFailed, match=r"more than the 200 MB of memory allowed"):
        extract(bomb, DOCX, budget=budget)
    assert peak_rss_mb() - before < 100


def test_normal_office_files_still_extract_in_the_child():
    assert "供货合同" in extract(files.docx_with("供货合同"), DOCX).text
    assert "报价\tx" in extract(files.xlsx_with(("报价", "x")), XLSX).text


# --- the indexing pipeline -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.s3
@pytest.mark.timeout(180)
def test_an_uploaded_zip_bomb_fails_its_extraction_and_its_metadata_stays_searchable(
    committed, search_index
):
    # given a department member uploading a DOCX bomb (indexing runs in-process, as in the demo)
    owner = factories.UserFactory(username="owner", department=factories.DepartmentFactory(code="sales"))
    before = peak_rss_mb()
    with committed():
        doc = factories.document(owner, title="Tender 标书", content=docx_of_zeros(300 * MB),
                                 filename="tender.docx")
    # then the upload succeeded, the version's extraction failed with the reason, and the title is found
    state = VersionIndexState.objects.get(version_id=doc.valid_version_id)
    assert state.status == IndexStatus.FAILED
    assert "zip bomb" in state.reason and "256 MB limit" in state.reason
    assert peak_rss_mb() - before < 100
    assert engine_hits(search_index, owner, "标书") == {doc.pk}
