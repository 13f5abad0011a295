"""A customer downloading a confidential document from a share gets a PDF stamped with their own mark
(contact, e-mail, customer, time, address, code) on every page; whole, whatever Range asks; the share's
download event records both digests; the original is untouched; what cannot be stamped is refused with a
message in the customer's language."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from backend.audit.models import AuditEvent
from backend.documents.models import ViewMark
from backend.documents.store import object_store
from backend.sharing.shares import document_share_create
from tests import factories
from tests.documents.stamping_files import docx_of, pdf_of
from tests.fixtures.clients import portal_client

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


def _contract_share(world, *, content: bytes, filename: str = "contract.pdf"):
    rep = world.staff["rep"]
    contract, _ = _create(rep, content, filename)
    return contract, document_share_create(actor=rep, document=contract, customer=world.a, downloadable=True)


def _create(owner, content, filename):
    from backend.documents.services import document_create

    return document_create(actor=owner, title="保密供货合同 Confidential supply contract", kind="contract",
                           classification="confidential", upload=factories.upload_source(content, filename))


def test_a_customer_downloads_a_confidential_share_stamped_with_their_own_mark(world):
    # given a confidential contract of two pages shared (downloadable) with customer A
    original = pdf_of(2)
    contract, share = _contract_share(world, content=original)
    version = contract.versions.get(number=1)
    # when Alice downloads it, asking for a range as a resuming browser would
    response = portal_client(world.alice).get(reverse("portal:share_download", args=[share.pk]),
                                              HTTP_RANGE="bytes=0-99")
    body = b"".join(response.streaming_content)
    # then she gets the whole stamped PDF, not a range of the original
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Content-Range" not in response and body != original and int(response["Content-Length"]) == len(body)
    # and every page carries her mark: who (contact, e-mail, customer) and the code
    event = AuditEvent.objects.get(event_type="portal.share.downloaded", actor=world.alice)
    code = event.detail["mark"]
    for page in PdfReader(io.BytesIO(body)).pages:
        text = page.extract_text()
        assert code in text and "alice@jinggong.example.com" in text
    # and the share's download event records both digests, with her customer
    assert event.customer_id == world.a.pk and event.detail["share"] == share.pk
    assert event.detail["sha256"] == version.sha256 and event.detail["stamped_sha256"] == hashlib.sha256(body).hexdigest()
    mark = ViewMark.objects.get(code=code)
    assert mark.event_id == event.pk and mark.viewer == world.alice and mark.purpose == "download"
    # and the original in the store is unchanged
    stored = b"".join(object_store().iter_verified(version.object_key, sha256=version.sha256, size=version.size))
    assert stored == original


def test_a_public_share_is_downloaded_as_it_is(world):
    # given the public brochure shared with A
    share = world.shares["brochure"]
    version = share.document.valid_version
    # when Alice asks for its first bytes, then she gets that range of the original
    response = portal_client(world.alice).get(reverse("portal:share_download", args=[share.pk]),
                                              HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and response["Content-Range"] == f"bytes 0-9/{version.size}"
    assert not ViewMark.objects.exists()


@pytest.mark.parametrize("language, words", [("en", "a view-only copy is available"), ("zh-hans", "仅供查看的副本")])
def test_a_share_that_cannot_be_stamped_is_refused_in_the_customers_language(world, settings, language, words):
    # given stamping that refuses what is not a PDF, and a confidential Word file shared with A
    settings.STAMPED_DOWNLOAD_OTHER_TYPES = "refuse"
    _, share = _contract_share(world, content=docx_of(1), filename="contract.docx")
    # when Alice downloads it
    response = portal_client(world.alice, language).get(reverse("portal:share_download", args=[share.pk]))
    # then she is told why and where to read it instead, and the refusal is recorded
    assert response.status_code == 409 and words in response.content.decode()
    event = AuditEvent.objects.get(event_type="portal.share.downloaded", actor=world.alice)
    assert event.outcome == "failure" and event.detail["error"] == "cannot_be_stamped"
    assert not ViewMark.objects.exists()
