"""What the transfer benchmark sends: request bodies that stream from disk (raw and multipart), a
session that writes them 1 MiB per send(), and the random test file with its digest."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from bench.common import MiB

PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
BLOCK = MiB


# --- request bodies that stream from disk ----------------------------------------------------


class StreamedBody:
    """A request body made of byte strings and file ranges, read on demand.

    `requests` sees its length (so it sends Content-Length, not chunked encoding) and
    urllib3 reads it block by block: nothing bigger than one block is ever in memory.
    """

    def __init__(self, *pieces: bytes | Path):
        self._pieces = list(pieces)
        self._length = sum(p.stat().st_size if isinstance(p, Path) else len(p) for p in pieces)
        self._index = 0
        self._current = None

    def __len__(self) -> int:
        return self._length

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._length
        while self._index < len(self._pieces):
            if self._current is None:
                piece = self._pieces[self._index]
                self._current = open(piece, "rb") if isinstance(piece, Path) else _BytesReader(piece)
            data = self._current.read(n)
            if data:
                return data
            self._current.close()
            self._current = None
            self._index += 1
        return b""

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None


class _BytesReader:
    def __init__(self, data: bytes):
        self._view = memoryview(data)
        self._pos = 0

    def read(self, n: int) -> bytes:
        out = bytes(self._view[self._pos : self._pos + n])
        self._pos += len(out)
        return out

    def close(self) -> None:
        pass


class LargeBlockAdapter(HTTPAdapter):
    """urllib3 sends request bodies 16 KiB per send() by default; 1 MiB spares the client CPU
    (client, server and S3 server share two cores here)."""

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.setdefault("blocksize", BLOCK)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def api_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    adapter = LargeBlockAdapter()
    session.mount("http://", adapter)
    return session


def multipart_body(boundary: str, path: Path, fields: dict[str, str]) -> StreamedBody:
    head = b""
    for name, value in fields.items():
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    head += (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return StreamedBody(head, path, f"\r\n--{boundary}--\r\n".encode())


# --- test data -------------------------------------------------------------------------------


def make_file(path: Path, size: int) -> str:
    """Random bytes behind a PDF header; returns their sha256 (hex)."""
    hasher = hashlib.sha256()
    with open(path, "wb") as out:
        head = PDF_HEADER + os.urandom(min(size, BLOCK) - len(PDF_HEADER))
        out.write(head)
        hasher.update(head)
        written = len(head)
        while written < size:
            block = os.urandom(min(BLOCK, size - written))
            out.write(block)
            hasher.update(block)
            written += len(block)
    return hasher.hexdigest()


def content_digest_header(sha256_hex: str) -> str:
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"
