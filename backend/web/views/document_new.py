"""New documents: one file or many, dropped on the page or picked, each becoming its own document.

The page (`document_new`) holds the batch's shared details (kind, classification, customer, opportunity,
quote, tags), editable per file, and web/static/web/upload.js sends each file on its own:

  POST documents/new/upload/     one file as the raw request body (streamed to the store, as the version
                                 upload does), its details in the query string; or, without JavaScript,
                                 a multipart form with one or more files. Headers: `Idempotency-Key` (one per
                                 file: a retry after a lost answer makes no second document),
                                 `X-Content-SHA256` (the browser's sha256 of the file, checked by the store).
                                 JSON: 201 {id, url, title, ...}; 409 {duplicates: [...]} when the same bytes
                                 are already in a document the person may see; 4xx {file, message, fields}.
  GET  documents/new/duplicates/?sha256=   the same duplicate check before sending the bytes.
  POST documents/new/version/<id>/         the file as a new version of a document it duplicates.

Each file goes through the one upload intake (backend.documents.intake) and documents' create service;
links go through crm's link service. A file refused (413, 415, 400) saves nothing for that file only.
Duplicates are found among the documents the person may see only: a hidden one is never mentioned, the
file is simply stored.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy import Action, visible
from backend.common.errors import FileTooLarge, InvalidInput
from backend.common.resolver import resolve
from backend.crm.models import Customer, Opportunity, Quote
from backend.crm.services.links import document_link_create
from backend.documents import selectors, services
from backend.documents.api.uploads import is_multipart, upload_from_request
from backend.documents.intake import UploadSource, declared_sha256, filename_from_disposition, upload_of_file
from backend.documents.models import Classification, DocumentKind
from backend.ui.errors import Refusal
from backend.web.pages import int_or_none, staff_page

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_TAG_SEPARATORS = re.compile(r"[,，;；]")
# What a spooled body keeps in memory before it moves to a temporary file.
_SPOOL_IN_MEMORY = 2 * 1024 * 1024
_READ = 1 << 20
# The link targets a new document may get, in the order they are linked.
# (Their refusals are English, like every service message, and translated where shown: backend.ui.errors.)
_TARGETS = (
    ("customer", Customer, gettext_noop("Choose a customer you may link documents to.")),
    ("opportunity", Opportunity, gettext_noop("Choose an opportunity you may link documents to.")),
    ("quote", Quote, gettext_noop("Choose a quote you may link documents to.")),
)


def _is_xhr(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _title_from(filename: str) -> str:
    stem = PurePath(filename or "").stem.strip()
    return stem or (filename or "").strip() or _("Untitled document")


def _tags_from(raw: str) -> list[str]:
    return [tag.strip() for tag in _TAG_SEPARATORS.split(raw or "") if tag.strip()]


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 128:
        raise InvalidInput("Idempotency-Key must be at most 128 characters.")
    return key or None


def _link_targets(user, fields) -> list:
    """The customer, opportunity and quote the request names, each one the person may change (what linking
    needs); a 400 naming the field otherwise. Checked before a byte is stored."""
    targets = []
    for field, model, refusal in _TARGETS:
        # the picker's hidden id; without JavaScript, an id typed in its text box
        typed = str(fields.get(f"{field}_q") or "").strip()
        raw = str(fields.get(field) or "").strip() or (typed if typed.isdigit() else "")
        pk = int_or_none(raw)
        if raw and pk is None:
            raise InvalidInput(refusal, fields={field: [refusal]})
        target = resolve(visible(user, model.objects.all(), Action.CHANGE), pk, field=field, label=field,
                         message=refusal)
        if target is not None:
            targets.append(target)
    return targets


def _with_sha256(upload: UploadSource) -> UploadSource:
    """The upload with the sha256 of its bytes known before it is stored (the duplicate check needs it).

    A declared sha256 is taken as it is (the store refuses the bytes if they do not match it). A form's
    file (spooled by Django) is read once and rewound. A body sent without one is spooled while hashed.
    """
    if upload.declared_sha256:
        return upload
    stream = upload.stream
    digest = hashlib.sha256()
    try:
        seekable = stream.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        stream.seek(0)
        while chunk := stream.read(_READ):
            digest.update(chunk)
        stream.seek(0)
        return UploadSource(stream=stream, filename=upload.filename, declared_size=upload.declared_size,
                            declared_sha256=digest.hexdigest())
    limit = settings.UPLOAD_MAX_BYTES
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
    total = 0
    while chunk := stream.read(_READ):
        total += len(chunk)
        if total > limit:
            spool.close()
            raise FileTooLarge(f"The file is larger than the upload limit of {limit} bytes.", limit_bytes=limit)
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return UploadSource(stream=spool, filename=upload.filename, declared_size=total,
                        declared_sha256=digest.hexdigest())


def _duplicate_rows(request, sha256: str) -> list[dict]:
    """What the page says about documents (the person may see) that already hold these bytes."""
    found, rows = set(), []
    for version in selectors.versions_with_content_visible(user=request.user, sha256=sha256):
        document = version.document
        if document.pk in found:
            continue
        found.add(document.pk)
        rows.append({
            "id": document.pk,
            "title": document.title,
            "version": version.number,
            "url": reverse("web:document", args=[document.pk]),
            "version_url": reverse("web:document_new_version", args=[document.pk]),
            "message": _("This file is already in “%(title)s” (version %(number)s).") % {
                "title": document.title, "number": version.number},
        })
    return rows


class Duplicate(Exception):
    def __init__(self, rows: list[dict]):
        super().__init__("duplicate")
        self.rows = rows


def _create_one(request, upload: UploadSource, fields, *, key: str | None) -> dict:
    """One file, one document (with its links). Raises the services' errors, or Duplicate."""
    user = request.user
    targets = _link_targets(user, fields)
    replay = selectors.document_created_by_request(user=user, idempotency_key=key)
    upload = _with_sha256(upload)
    if replay is None and fields.get("duplicate") != "allow":
        rows = _duplicate_rows(request, upload.declared_sha256)
        if rows:
            raise Duplicate(rows)
    document, created = services.document_create(
        actor=user,
        title=str(fields.get("title") or "").strip() or _title_from(upload.filename),
        kind=str(fields.get("kind") or DocumentKind.OTHER),
        classification=str(fields.get("classification") or Classification.INTERNAL),
        description=str(fields.get("description") or ""),
        tags=_tags_from(str(fields.get("tags") or "")),
        upload=upload,
        idempotency_key=key,
    )
    links = [document_link_create(actor=user, document=document, target=target) for target in targets]
    return {
        "id": document.pk,
        "title": document.title,
        "url": reverse("web:document", args=[document.pk]),
        "created": created,
        "links": [str(target) for target in targets] if links else [],
        "message": _("Created “%(title)s”.") % {"title": document.title},
    }


def _refused(filename: str, refusal: Refusal) -> dict:
    return {
        "file": filename,
        "message": _("%(file)s: %(reason)s") % {
            "file": filename or _("(no name)"), "reason": refusal.message},
        "fields": refusal.fields,
    }


def _send_one(request, upload_of, filename: str, fields, key: str | None):
    """(status, answer) for one file: 201 created (200 replayed), 409 duplicate, or the refusal."""
    with Refusal() as refusal:
        try:
            answer = _create_one(request, upload_of(), fields, key=key)
        except Duplicate as duplicate:
            return 409, {"file": filename, "duplicates": duplicate.rows,
                         "message": duplicate.rows[0]["message"]}
    if refusal:
        return refusal.status, _refused(filename, refusal)
    return (201 if answer["created"] else 200), answer


# --- the page ---------------------------------------------------------------------------------------------


def _preset(request) -> dict:
    """The customer, opportunity or quote the page was opened for (?customer=7), with its label."""
    preset = {}
    for field, model, _refusal in _TARGETS:
        pk = int_or_none(request.GET.get(field))
        if pk is None:
            continue
        row = visible(request.user, model.objects.all(), Action.VIEW).filter(pk=pk).first()
        if row is not None:
            preset[field] = {"id": row.pk, "label": str(row)}
    return preset


@staff_page
@require_GET
def document_new(request):
    return render(request, "web/document_new.html", {
        "section": "documents",
        "kinds": DocumentKind.choices,
        "classifications": Classification.choices,
        "default_kind": DocumentKind.OTHER,
        "default_classification": Classification.INTERNAL,
        "preset": _preset(request),
        "upload_limit": settings.UPLOAD_MAX_BYTES,
    })


@staff_page
@require_POST
def document_new_upload(request):
    """One file as the body (the page's script), or a form's files (without JavaScript)."""
    key = None
    with Refusal() as refusal:
        key = _idempotency_key(request)
    if refusal:
        return JsonResponse(_refused("", refusal), status=refusal.status)
    if is_multipart(request) and not _is_xhr(request):
        return _form_upload(request)
    filename = ""
    with Refusal() as refusal:
        upload, fields = upload_from_request(request)
        filename = upload.filename
    if refusal:
        filename = filename or request.GET.get("filename", "")
        try:
            filename = filename or filename_from_disposition(request.headers.get("Content-Disposition", ""))
        except InvalidInput:
            pass
        return JsonResponse(_refused(filename, refusal), status=refusal.status)
    status, answer = _send_one(request, lambda: upload, filename, fields, key)
    return JsonResponse(answer, status=status)


def _form_upload(request):
    """Without JavaScript: every file of the form, each its own document; the outcome as messages."""
    files = request.FILES.getlist("file")
    if not files:
        messages.error(request, _("Choose at least one file."))
        return redirect("web:document_new")
    sha256 = declared_sha256(request.headers)
    created = []
    for uploaded in files:
        status, answer = _send_one(request, lambda f=uploaded: upload_of_file(f, declared_sha256=sha256),
                                   uploaded.name, request.POST, None)
        if status in (200, 201):
            created.append(answer)
            messages.success(request, answer["message"])
        else:
            messages.error(request, answer["message"])
    if len(files) == 1 and len(created) == 1:
        return redirect(created[0]["url"])
    return redirect("web:document_new")


@staff_page
@require_GET
def document_new_duplicates(request):
    """Documents the person may see that already hold the bytes of this sha256 (asked before uploading)."""
    sha256 = request.GET.get("sha256", "").strip()
    if not _HEX64.match(sha256):
        return JsonResponse({"duplicates": []})
    return JsonResponse({"duplicates": _duplicate_rows(request, sha256.lower())})


@staff_page
@require_POST
def document_new_version(request, document_id: int):
    """The dropped file as a new version of a document it duplicates (or any the person may change)."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id)
    filename = ""
    with Refusal() as refusal:
        key = _idempotency_key(request)
        upload, fields = upload_from_request(request)
        filename = upload.filename
        version, _created = services.document_version_create(
            actor=request.user, document=document, upload=upload,
            comment=str(fields.get("comment", "") or "")[:2000], idempotency_key=key)
    if refusal:
        return JsonResponse(_refused(filename, refusal), status=refusal.status)
    return JsonResponse({
        "id": document.pk,
        "title": document.title,
        "url": reverse("web:document", args=[document.pk]),
        "version": version.number,
        "message": _("Added as version %(number)s of “%(title)s”.") % {"number": version.number,
                                                                        "title": document.title},
    }, status=201)
