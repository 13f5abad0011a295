"""The new-document page: many files, each its own document, through the one upload intake.

Permission matrix (anonymous -> sign-in, portal user -> 404, staff -> 200), per-file refusals (413 and 415
name the file and save nothing for it while the rest of the batch goes on), duplicates by content (offered
when visible, stored silently when hidden), idempotent retries, links and their audit rows.
"""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.audit.models import AuditEvent
from backend.crm.models import DocumentLink
from backend.documents.models import Document
from backend.documents.services import document_version_download
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user
from tests.web.world import pdf_with_text

pytestmark = pytest.mark.django_db

PAGE = "/documents/new/"
UPLOAD = "/documents/new/upload/"


def _send(client, content: bytes, filename: str, *, key: str | None = None, sha256: str | None = None,
          content_type: str = "application/pdf", **fields):
    """One file as the page's script sends it: the raw body, its details in the query string."""
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest",
               "HTTP_CONTENT_DISPOSITION": f"attachment; filename*=UTF-8''{filename}",
               "HTTP_IDEMPOTENCY_KEY": key or uuid.uuid4().hex}
    if sha256:
        headers["HTTP_X_CONTENT_SHA256"] = sha256
    query = urlencode({name: value for name, value in fields.items() if value})
    return client.post(f"{UPLOAD}?{query}", data=content, content_type=content_type, **headers)


def _documents_titled(title: str):
    return Document.objects.filter(title=title)


# --- who may open it ------------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_staff_user(world):
    # given nobody signed in; then the page and its endpoints send to the sign-in page
    anonymous = Client()
    for url in (PAGE, "/documents/new/duplicates/?sha256=" + "0" * 64):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/signin/?next="), url
    assert anonymous.post(UPLOAD).status_code == 302
    assert anonymous.post(f"/documents/new/version/{world.quote_doc.pk}/").status_code == 302
    # given a customer's portal user; then every one of them is a 404, like a missing page
    portal = client_for(portal_user(world.customer, invited_by=world.rep))
    assert portal.get(PAGE).status_code == 404
    assert portal.get("/documents/new/duplicates/?sha256=" + "0" * 64).status_code == 404
    assert _send(portal, pdf_with_text("portal"), "portal.pdf", title="portal").status_code == 404
    assert not _documents_titled("portal").exists()
    # given staff; then the page opens, in both languages
    page = client_for(world.rep).get(PAGE)
    assert page.status_code == 200
    assert 'data-new-documents' in page.content.decode() and 'data-picker="customer"' in page.content.decode()
    assert "新建文档" in client_for(world.rep, language="zh-hans").get(PAGE).content.decode()


def test_opened_from_a_customer_the_customer_is_preset_and_hidden_ones_are_not(world):
    # given the rep's customer; when the page is opened for it; then the batch's customer is filled in
    page = client_for(world.rep).get(f"{PAGE}?customer={world.customer.pk}").content.decode()
    assert f'value="{world.customer.pk}"' in page and world.customer.name in page
    # given another rep's customer the rep may not see; then nothing of it shows
    page = client_for(world.rep).get(f"{PAGE}?customer={world.other_customer.pk}").content.decode()
    assert world.other_customer.name not in page


# --- a batch ------------------------------------------------------------------------------------------


def test_a_batch_creates_one_linked_document_per_file_and_refusals_save_nothing_for_their_file(world, settings):
    client = client_for(world.rep)
    good = [pdf_with_text(f"批量文件 {n}") for n in range(2)]
    settings.UPLOAD_MAX_BYTES = max(len(body) for body in good) + 10
    # when the rep sends four files with the batch's customer: two good ones, one too large, one of a refused type
    answers = [
        _send(client, good[0], "first.pdf", title="batch first", customer=world.customer.pk, tags="批量, 2026"),
        _send(client, b"%PDF-1.4\n" + b"x" * settings.UPLOAD_MAX_BYTES, "big.pdf", title="batch big",
              customer=world.customer.pk),
        _send(client, b"MZ\x90\x00" + b"\x00" * 200, "tool.pdf", title="batch tool", customer=world.customer.pk,
              content_type="application/octet-stream"),
        _send(client, good[1], "second.pdf", title="batch second", customer=world.customer.pk,
              kind="contract", classification="confidential"),
    ]
    # then the refused files are named, and nothing was saved for them
    assert [answer.status_code for answer in answers] == [201, 413, 415, 201]
    assert "big.pdf" in answers[1].json()["message"] and "upload limit" in answers[1].json()["message"]
    assert answers[2].json()["file"] == "tool.pdf" and "not allowed" in answers[2].json()["message"]
    assert not Document.objects.filter(title__in=["batch big", "batch tool"]).exists()
    # and each good file is its own document, with its details, linked to the customer
    first, second = _documents_titled("batch first").get(), _documents_titled("batch second").get()
    assert answers[0].json() == {**answers[0].json(), "id": first.pk, "url": f"/documents/{first.pk}/"}
    assert sorted(first.tags.values_list("name", flat=True)) == ["2026", "批量"]
    assert (second.kind, second.classification) == ("contract", "confidential")
    for document in (first, second):
        assert document.owner == world.rep and document.versions.count() == 1
        assert DocumentLink.objects.filter(document=document, customer=world.customer).exists()
        # and the trail has the creation, the upload and the link
        for event in ("document.created", "document.version.uploaded", "crm.document.linked"):
            assert AuditEvent.objects.filter(event_type=event, actor_id=world.rep.pk,
                                             target_id=str(document.pk)).exists(), event


def test_a_retry_after_a_lost_answer_makes_no_second_document(world):
    client = client_for(world.rep)
    body = pdf_with_text("重试 retry")
    key = uuid.uuid4().hex
    # when the same file is sent twice with its key (the first answer was lost)
    first = _send(client, body, "retry.pdf", key=key, title="retried", customer=world.customer.pk)
    again = _send(client, body, "retry.pdf", key=key, title="retried", customer=world.customer.pk)
    # then the second answer names the first document, and there is one document with one link
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert _documents_titled("retried").count() == 1
    assert DocumentLink.objects.filter(document_id=first.json()["id"]).count() == 1


def test_a_target_the_person_may_not_change_is_refused_before_anything_is_stored(world):
    # given the other customer, which the rep may not see
    client = client_for(world.rep)
    answer = _send(client, pdf_with_text("wrong customer"), "wrong.pdf", title="wrong customer",
                   customer=world.other_customer.pk)
    # then the file is refused on the customer field and nothing is saved
    assert answer.status_code == 400 and "customer" in answer.json()["fields"]
    assert not _documents_titled("wrong customer").exists()


def test_without_javascript_the_form_sends_several_files(world):
    client = client_for(world.rep)
    files = [SimpleUploadedFile(f"plain-{n}.pdf", pdf_with_text(f"plain form {n}"), content_type="application/pdf")
             for n in range(2)]
    response = client.post(UPLOAD, {"file": files, "kind": "other", "classification": "internal",
                                    "customer": world.customer.pk})
    assert response.status_code == 302 and response["Location"] == PAGE
    created = Document.objects.filter(title__in=["plain-0", "plain-1"])
    assert created.count() == 2
    assert DocumentLink.objects.filter(document__in=created, customer=world.customer).count() == 2


# --- duplicates by content ---------------------------------------------------------------------------


def _bytes_of(document) -> bytes:
    """The stored bytes of a document's valid version (read by its owner)."""
    download = document_version_download(actor=document.owner, version=document.valid_version)
    return b"".join(download.chunks)


def test_a_duplicate_the_person_may_see_is_offered_and_nothing_is_stored(world):
    # given the quote document's bytes, which the rep may see
    content = _bytes_of(world.quote_doc)
    sha = hashlib.sha256(content).hexdigest()
    client = client_for(world.rep)
    # when she asks before uploading; then the document is named, with where to open it and add a version
    asked = client.get(f"/documents/new/duplicates/?sha256={sha}").json()["duplicates"]
    assert [row["id"] for row in asked] == [world.quote_doc.pk]
    assert asked[0]["url"] == f"/documents/{world.quote_doc.pk}/"
    assert world.quote_doc.title in asked[0]["message"]
    # when she uploads it anyway (the server checks too, with or without the browser's checksum)
    for declared in (sha, None):
        answer = _send(client, content, "again.pdf", sha256=declared, title="dup visible")
        assert answer.status_code == 409
        assert answer.json()["duplicates"][0]["id"] == world.quote_doc.pk
    assert not _documents_titled("dup visible").exists()
    # when she chooses to store it as a new document after all; then it is stored
    assert _send(client, content, "again.pdf", title="dup visible", duplicate="allow").status_code == 201
    # when she adds it as a new version of the duplicate instead; then that document gets version 2
    added = client.post(f"/documents/new/version/{world.quote_doc.pk}/", data=content,
                        content_type="application/pdf", HTTP_X_REQUESTED_WITH="XMLHttpRequest",
                        HTTP_CONTENT_DISPOSITION="attachment; filename=again.pdf",
                        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert added.status_code == 201 and added.json()["version"] == 2
    assert world.quote_doc.versions.count() == 2


def test_a_duplicate_of_a_hidden_document_is_stored_silently(world):
    # given the secret board minutes, which the rep may not see
    content = _bytes_of(world.secret_doc)
    sha = hashlib.sha256(content).hexdigest()
    client = client_for(world.rep)
    # when she asks before uploading; then nothing is said
    assert client.get(f"/documents/new/duplicates/?sha256={sha}").json() == {"duplicates": []}
    # when she uploads the same bytes; then they are stored as her own document like any other file
    answer = _send(client, content, "minutes.pdf", sha256=sha, title="my minutes")
    assert answer.status_code == 201
    text = answer.content.decode()
    assert world.secret_doc.title not in text and str(world.secret_doc.pk) != str(answer.json()["id"])
    assert set(answer.json()) == {"id", "title", "url", "created", "links", "message"}
    assert _documents_titled("my minutes").get().owner == world.rep


def test_adding_a_duplicate_as_a_version_needs_change_access(world):
    # given the quote document, which the outsider may not see and the colleague may see but not change
    content = _bytes_of(world.quote_doc)
    url = f"/documents/new/version/{world.quote_doc.pk}/"

    def add(user):
        return client_for(user).post(url, data=content, content_type="application/pdf",
                                     HTTP_X_REQUESTED_WITH="XMLHttpRequest",
                                     HTTP_CONTENT_DISPOSITION="attachment; filename=copy.pdf")

    # then both are answered 404 and no version is added
    assert add(world.outsider).status_code == 404
    assert add(world.colleague).status_code == 404
    assert world.quote_doc.versions.count() == 1
    # and the owner adds it, with the upload in the trail
    assert add(world.rep).status_code == 201
    assert AuditEvent.objects.filter(event_type="document.version.uploaded", actor_id=world.rep.pk,
                                     target_id=str(world.quote_doc.pk)).count() == 2
