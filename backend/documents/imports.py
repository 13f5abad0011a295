"""Old files brought in from a folder or a ZIP (the documents' side of import_documents): the files read
by name, streamed (never whole in memory), recognised by their content's SHA-256 so a file Dossier holds
already is reported, not stored twice, and the others created through `document_create` (sniffed, limited,
stored under their content key, audited under the importing user). The CRM side (the manifest, customers,
quotes, runs) is backend.crm.imports.documents."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from backend.common.errors import InvalidInput, NotFound
from backend.documents.intake import UploadSource
from backend.documents.models import Classification, Document, DocumentVersion
from backend.documents.services import document_create

_READ = 1024 * 1024


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its author saw it: ZIPs made on Chinese Windows store GBK names without the
    UTF-8 flag, which Python reads as cp437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


class FileSource:
    """The files of a folder or a ZIP, named by their relative path with forward slashes. A name found
    nowhere but whose last part (the file's own name) one file of the source has, is that file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        self._by_basename: dict[str, list[str]] | None = None
        if self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except zipfile.BadZipFile:
                raise InvalidInput("The source is neither a folder nor a ZIP file.") from None
            self._members = {_zip_member_name(info): info for info in self._zip.infolist() if not info.is_dir()}
        elif not self.path.is_dir():
            raise InvalidInput("The source is neither a folder nor a ZIP file.")

    def _names(self) -> list[str]:
        if self._zip is not None:
            return list(self._members)
        root = self.path.resolve()
        return [str(path.relative_to(root).as_posix()) for path in root.rglob("*") if path.is_file()]

    def _by_own_name(self, relative: str) -> str:
        """The one file of the source named like `relative`'s last part, or ""."""
        if self._by_basename is None:
            self._by_basename = {}
            for name in self._names():
                self._by_basename.setdefault(PurePosixPath(name).name, []).append(name)
        found = self._by_basename.get(PurePosixPath(relative).name, [])
        return found[0] if len(found) == 1 else ""

    def _resolve(self, name: str) -> str:
        """The source's own name for a manifest's file name; NotFound when it has none."""
        relative = self._relative(name)
        if relative:
            if self._zip is not None and relative in self._members:
                return relative
            if self._zip is None:
                path = self.path / relative
                if path.is_file() and path.resolve().is_relative_to(self.path.resolve()):
                    return relative
            found = self._by_own_name(relative)
            if found and (self._zip is not None
                          or (self.path / found).resolve().is_relative_to(self.path.resolve())):
                return found
        raise NotFound("No such file in the folder or ZIP.")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _relative(name: str) -> str:
        """A manifest's file name as a safe relative path ("" for one that leaves the source)."""
        parts = PurePosixPath(name.replace("\\", "/").strip()).parts
        if not parts or parts[0] == "/" or ".." in parts:
            return ""
        return "/".join(parts)

    def size(self, name: str) -> int:
        relative = self._resolve(name)
        if self._zip is not None:
            return self._members[relative].file_size
        return (self.path / relative).stat().st_size

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        relative = self._resolve(name)
        stream = self._zip.open(self._members[relative]) if self._zip is not None else open(self.path / relative, "rb")
        try:
            yield stream
        finally:
            stream.close()

    def sha256(self, name: str) -> str:
        digest = hashlib.sha256()
        with self.open(name) as stream:
            while chunk := stream.read(_READ):
                digest.update(chunk)
        return digest.hexdigest()


def document_with_content(sha256: str) -> Document | None:
    """A document one of whose versions has exactly this content (the oldest), or None."""
    version = (DocumentVersion.objects.filter(sha256=sha256).select_related("document")
               .order_by("id").first())
    return version.document if version is not None else None


@dataclass(frozen=True)
class ImportedFile:
    document: Document
    created: bool  # False: the content was in Dossier already (`document` holds it)
    sha256: str


def document_import_file(*, actor, source: FileSource, name: str, title: str, kind: str,
                         classification: str = Classification.INTERNAL, description: str = "",
                         tags=()) -> ImportedFile:
    """One file of `source` as a new document of `actor`'s, unless its content is in Dossier already (then
    the document that holds it, `created` False). document_create checks, stores and audits it."""
    sha256 = source.sha256(name)
    existing = document_with_content(sha256)
    if existing is not None:
        return ImportedFile(document=existing, created=False, sha256=sha256)
    filename = PurePosixPath(name.replace("\\", "/")).name
    with source.open(name) as stream:
        document, _ = document_create(
            actor=actor, title=title or PurePosixPath(filename).stem, kind=kind, classification=classification,
            description=description, tags=tags,
            upload=UploadSource(stream=stream, filename=filename, declared_size=source.size(name),
                                declared_sha256=sha256))
    return ImportedFile(document=document, created=True, sha256=sha256)
