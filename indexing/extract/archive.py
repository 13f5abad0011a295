"""Zip containers (OOXML, ODF) checked before any reader decompresses them.

A few hundred KB of zip can expand to gigabytes (a "zip bomb"), and a member's size header can lie.
`open_zip` refuses a container unless
  * it has at most `budget.max_members` members,
  * the declared sizes add up to at most `budget.max_expanded_bytes`, and no member larger than
    1 MB declares more than `budget.max_expansion_ratio` times its compressed size,
  * every member, decompressed as a stream and counted (output thrown away, never held), really
    expands to its declared size: a member that produces more than it declares, or more than the
    total limit, stops the check at that point.
Only then do python-docx, openpyxl, python-pptx or the ODF reader see the file.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from indexing.extract.base import MB, Budget, ExtractionFailed

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_RATIO_CHECKED_FROM = 1 * MB  # small members (styles, rels) may compress very well; they cannot hurt
_CHUNK_IN = 64 * 1024
_CHUNK_OUT = 1 * MB


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB"


def open_zip(data: bytes, budget: Budget, what: str) -> zipfile.ZipFile:
    """The zip container of `what` ("the Word file"), or ExtractionFailed with the limit it broke."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        if data[:8] == _OLE_MAGIC:
            raise ExtractionFailed(f"{what} is encrypted (password-protected)") from exc
        raise ExtractionFailed(f"{what} is corrupt: not a valid zip container") from exc
    except (ValueError, OSError, EOFError, struct.error) as exc:
        raise ExtractionFailed(f"{what} is corrupt: {exc}") from exc
    try:
        check_zip(archive, data, budget, what)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip(archive: zipfile.ZipFile, data: bytes, budget: Budget, what: str) -> None:
    members = archive.infolist()
    if len(members) > budget.max_members:
        raise ExtractionFailed(f"{what} has {len(members)} parts, more than the limit of {budget.max_members}; "
                               "refusing a possible zip bomb")
    limit = budget.max_expanded_bytes
    declared = sum(info.file_size for info in members)
    if declared > limit:
        raise ExtractionFailed(f"{what} expands to {_mb(declared)}, more than the {_mb(limit)} limit; "
                               "refusing a possible zip bomb")
    for info in members:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > _RATIO_CHECKED_FROM and ratio > budget.max_expansion_ratio:
            raise ExtractionFailed(
                f"{what}: {info.filename} expands {ratio:.0f} times (limit {budget.max_expansion_ratio} times); "
                "refusing a possible zip bomb")
    view = memoryview(data)
    total = 0
    for info in members:
        budget.check()
        total += _real_size(view, info, budget, what, room=limit - total)


def _raw_member(view: memoryview, info: zipfile.ZipInfo) -> memoryview | None:
    """The compressed bytes of `info` as stored after its local header (None if the header is broken)."""
    start = info.header_offset
    header = bytes(view[start:start + _LOCAL_HEADER.size])
    if len(header) < _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        return None
    begin = start + _LOCAL_HEADER.size + fields[9] + fields[10]
    return view[begin:begin + info.compress_size]


def _real_size(view: memoryview, info: zipfile.ZipInfo, budget: Budget, what: str, *, room: int) -> int:
    """Decompress one member as a stream, counting bytes; refuse it once it exceeds its declared
    size or the room left under the total limit. Returns the bytes it really expands to."""
    if info.is_dir() or info.flag_bits & 0x1:
        return 0  # a folder; or an encrypted member, which no reader can open without its password
    raw = _raw_member(view, info)
    if raw is None:
        raise ExtractionFailed(f"{what} is corrupt: the header of {info.filename} is broken")
    if info.compress_type == zipfile.ZIP_STORED:
        real = len(raw)
        if real != info.file_size:
            raise ExtractionFailed(f"{what} is corrupt: {info.filename} is not the size it declares")
        return real
    if info.compress_type != zipfile.ZIP_DEFLATED:
        # OOXML and ODF only use stored and deflated members.
        raise ExtractionFailed(f"{what}: {info.filename} uses a compression method we do not read "
                               f"({info.compress_type})")
    declared = info.file_size
    stream = zlib.decompressobj(-zlib.MAX_WBITS)
    real = 0
    position = 0
    chunks = 0
    try:
        while not stream.eof:
            if stream.unconsumed_tail:
                chunk = stream.unconsumed_tail
            elif position < len(raw):
                chunk = raw[position:position + _CHUNK_IN]
                position += len(chunk)
            else:
                real += len(stream.flush())
                break
            real += len(stream.decompress(chunk, _CHUNK_OUT))
            if real > declared:
                raise ExtractionFailed(
                    f"{what}: {info.filename} holds more data than the {declared} bytes it declares "
                    "(a lying size header); refusing a possible zip bomb")
            if real > room:
                raise ExtractionFailed(f"{what} expands to more than the {_mb(budget.max_expanded_bytes)} limit; "
                                       "refusing a possible zip bomb")
            chunks += 1
            if chunks % 64 == 0:
                budget.check()
    except zlib.error:
        # Not valid deflate data: whatever a reader gets out of it is at most what we counted;
        # the reader reports the file as corrupt.
        pass
    if real > declared:
        raise ExtractionFailed(f"{what}: {info.filename} holds more data than the {declared} bytes it declares "
                               "(a lying size header); refusing a possible zip bomb")
    return real
