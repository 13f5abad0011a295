"""Document shares: who may share what, and what a portal user gets from a share. On the real S3 server."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from PIL import Image

from backend.access.services import document_permission_grant, document_permission_revoke
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied
from backend.crm.models import AccountTeamMember
from backend.documents.models import VersionStatus
from backend.documents.services import (
    document_update,
    document_version_approve,
    document_version_create,
    document_version_download,
)
from backend.sharing.models import DocumentShare
from backend.sharing.shares import (
    document_share_create,
    document_share_reconfirm,
    document_share_revoke,
    share_download,
    share_get_for_portal,
    share_list_for_portal,
    share_open,
    share_opens_for_document,
    share_page_png,
    shares_for_document,
    shares_suspended_for_document,
)
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.indexing.files import pdf_with_text
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def png_bytes(size=(640, 480), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def two_page_pdf() -> bytes:
    """A real two-page PDF (reportlab) that pdfium renders."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(595, 842))
    for number in (1, 2):
        page.drawString(72, 720, f"Brochure page {number}")
        page.rect(72, 400, 300, 200, fill=1)
        page.showPage()
    page.save()
    return buffer.getvalue()


def _body(download) -> bytes:
    return b"".join(download.chunks)


def _events(event_type, **filters):
    return AuditEvent.objects.filter(event_type=event_type, **filters).order_by("id")


@pytest.fixture
def world():
    sales = factories.DepartmentFactory(code="sales")
    owner = factories.UserFactory(username="owner", department=sales)
    a = CustomerFactory(name="Alpha 阿尔法", owner=owner)
    b = CustomerFactory(name="Beta 贝塔", owner=owner)
    return {
        "owner": owner, "a": a, "b": b,
        "colleague": factories.UserFactory(username="colleague", department=sales),
        "outsider": factories.UserFactory(username="outsider", department=factories.DepartmentFactory(code="x")),
        "alice": portal_user(a, name="Alice"),
        "bob": portal_user(b, name="Bob"),
    }


def _share(world, doc, customer=None, **kwargs):
    return document_share_create(actor=world["owner"], document=doc, customer=customer or world["a"], **kwargs)


# --- creating and revoking ---------------------------------------------------------------------


def test_sharing_a_brochure_is_audited_with_the_customer(world):
    # given a public brochure
    brochure = factories.document(world["owner"], title="Lathe brochure", classification="public")
    # when its owner shares it with customer A
    share = _share(world, brochure, note="for the trade fair")
    # then the share follows the valid version, is downloadable, and the audit row names the customer
    assert share.version is None and share.downloadable and share.revoked_at is None
    event = _events("document.share.created").get()
    assert event.customer_id == world["a"].pk and event.target_id == str(brochure.pk)
    assert event.actor_id == world["owner"].pk and event.detail["version"] == "valid"


def test_sharing_needs_download_on_the_document_and_sight_of_the_customer(world):
    # given an internal document of the sales department, and customer A owned by a sales rep
    doc = factories.document(world["owner"], classification="internal")
    # a colleague in the department may download it and sees the department's customers: allowed
    assert document_share_create(actor=world["colleague"], document=doc, customer=world["a"])
    # an outsider may neither download it nor see the customer: refused like a missing document, and audited
    with pytest.raises(PermissionDenied):
        document_share_create(actor=world["outsider"], document=doc, customer=world["a"])
    denied = _events("document.access.denied", actor_id=world["outsider"].pk).get()
    assert denied.customer_id == world["a"].pk and denied.detail["action"] == "share"
    # someone who can download but not see the customer is refused too
    public = factories.document(world["outsider"], classification="public")
    with pytest.raises(PermissionDenied):
        document_share_create(actor=world["outsider"], document=public, customer=world["a"])
    assert DocumentShare.objects.count() == 1


def test_a_confidential_document_is_shared_only_by_who_may_manage_it(world):
    # given a confidential contract; a team member of customer A holding a download grant, later a manage grant
    owner, a = world["owner"], world["a"]
    contract = factories.document(owner, title="Supply contract", classification="confidential")
    member = factories.UserFactory(username="member")
    AccountTeamMember.objects.create(customer=a, user=member)
    document_permission_grant(actor=owner, document=contract, level="download", user=member)
    # then downloading is not enough to send it outside the company
    with pytest.raises(PermissionDenied):
        document_share_create(actor=member, document=contract, customer=a)
    # while the right to manage it is
    document_permission_grant(actor=owner, document=contract, level="manage", user=member)
    assert document_share_create(actor=member, document=contract, customer=a)
    assert _share(world, contract, version=contract.valid_version)  # and the owner may (another share: a pinned version)


def test_portal_users_cannot_share_or_revoke(world):
    brochure = factories.document(world["owner"], classification="public")
    with pytest.raises(PermissionDenied):
        document_share_create(actor=world["alice"], document=brochure, customer=world["a"])
    share = _share(world, brochure)
    with pytest.raises(PermissionDenied):
        document_share_revoke(actor=world["alice"], share=share)


def test_invalid_shares_are_refused_with_field_errors(world):
    brochure = factories.document(world["owner"], classification="public")
    other = factories.document(world["owner"], title="Other", classification="public")
    with pytest.raises(InvalidInput) as past:
        _share(world, brochure, expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(InvalidInput) as foreign:
        _share(world, brochure, version=other.valid_version)
    assert "expires_at" in past.value.extra["fields"] and "version" in foreign.value.extra["fields"]
    assert not DocumentShare.objects.exists()


def test_revoking_takes_the_share_away_from_the_portal(world):
    brochure = factories.document(world["owner"], classification="public")
    share = _share(world, brochure)
    alice = world["alice"]
    assert share_get_for_portal(user=alice, share_id=share.pk) == share
    # an outsider cannot revoke it
    with pytest.raises(PermissionDenied):
        document_share_revoke(actor=world["outsider"], share=share)
    # the owner can; the row stays for staff, the portal no longer finds it
    document_share_revoke(actor=world["owner"], share=share)
    document_share_revoke(actor=world["owner"], share=share)  # twice is harmless
    with pytest.raises(NotFound):
        share_get_for_portal(user=alice, share_id=share.pk)
    assert list(share_list_for_portal(user=alice)) == []
    assert [s.pk for s in shares_for_document(user=world["owner"], document=brochure)] == [share.pk]
    assert _events("document.share.revoked", customer_id=world["a"].pk).count() == 1


# --- the portal side ---------------------------------------------------------------------------


def test_another_customers_portal_user_cannot_reach_a_share(world):
    brochure = factories.document(world["owner"], classification="public")
    share = _share(world, brochure)
    with pytest.raises(NotFound):
        share_get_for_portal(user=world["bob"], share_id=share.pk)
    assert list(share_list_for_portal(user=world["bob"])) == []


def test_opening_and_downloading_a_share_are_audited_with_the_customer(world):
    # given a downloadable share of a brochure
    content = factories.pdf_bytes("brochure")
    brochure = factories.document(world["owner"], classification="public", content=content)
    share = _share(world, brochure)
    alice = world["alice"]
    found = share_get_for_portal(user=alice, share_id=share.pk)
    # when Alice opens it and downloads it
    view = share_open(actor=alice, share=found)
    body = _body(share_download(actor=alice, share=found))
    # then she sees the valid version with a download and a preview (its text: the renderer cannot open
    # this little PDF), gets the exact bytes, and both are audited
    assert view.version == brochure.valid_version and not view.superseded and view.rendering == "text"
    assert body == content
    viewed = _events("portal.share.viewed").get()
    downloaded = _events("portal.share.downloaded").get()
    for event in (viewed, downloaded):
        assert event.actor_id == alice.pk and event.customer_id == world["a"].pk
        assert event.target_id == str(brochure.pk) and event.outcome == "success"
        assert event.detail["share"] == share.pk


def test_an_expired_share_is_gone_and_says_so(world):
    brochure = factories.document(world["owner"], classification="public")
    share = _share(world, brochure, expires_at=timezone.now() + dt.timedelta(hours=1))
    DocumentShare.objects.filter(pk=share.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    # the portal still lists it (so the page can explain), but opening or downloading is 410
    found = share_get_for_portal(user=world["alice"], share_id=share.pk)
    assert [s.pk for s in share_list_for_portal(user=world["alice"])] == [share.pk]
    with pytest.raises(Gone) as opened:
        share_open(actor=world["alice"], share=found)
    with pytest.raises(Gone):
        share_download(actor=world["alice"], share=found)
    with pytest.raises(Gone):
        share_page_png(actor=world["alice"], share=found, page=1)
    assert opened.value.status_code == 410 and "expired" in opened.value.message
    refused = _events("portal.share.viewed", outcome="denied")
    assert refused.count() == 2 and refused.first().customer_id == world["a"].pk
    assert _events("portal.share.downloaded", outcome="denied").count() == 1
    assert not _events("portal.share.viewed", outcome="success").exists()


@pytest.mark.parametrize("offer", [True, False])
def test_a_pinned_version_that_was_superseded_points_to_the_valid_one_only_when_allowed(world, offer):
    # given a manual whose version 1 (approved) is shared pinned, then version 2 is approved
    owner = world["owner"]
    manual = factories.document(owner, title="Manual", classification="public", content=factories.pdf_bytes("v1"))
    v1 = document_version_approve(actor=owner, version=manual.valid_version)
    share = _share(world, manual, version=v1, offer_valid_version=offer)
    v2, _ = document_version_create(actor=owner, document=manual,
                                    upload=factories.upload_source(factories.pdf_bytes("v2")))
    document_version_approve(actor=owner, version=v2)
    found = share_get_for_portal(user=world["alice"], share_id=share.pk)
    # when Alice opens the share
    view = share_open(actor=world["alice"], share=found)
    # then she sees version 1, marked superseded; the valid version is offered only if staff allowed it
    assert view.version.pk == v1.pk and view.superseded
    assert found.version.status == VersionStatus.SUPERSEDED
    assert (view.valid_version.pk if view.valid_version else None) == (v2.pk if offer else None)
    assert _body(share_download(actor=world["alice"], share=found)) == factories.pdf_bytes("v1")
    if offer:
        assert _body(share_download(actor=world["alice"], share=found, version_number=2)) == factories.pdf_bytes("v2")
    else:
        with pytest.raises(NotFound):
            share_download(actor=world["alice"], share=found, version_number=2)


def test_a_pinned_version_that_is_still_valid_is_not_superseded(world):
    owner = world["owner"]
    manual = factories.document(owner, classification="public")
    v1 = document_version_approve(actor=owner, version=manual.valid_version)
    document_version_create(actor=owner, document=manual, upload=factories.upload_source())  # a draft only
    share = _share(world, manual, version=v1)
    view = share_open(actor=world["alice"], share=share_get_for_portal(user=world["alice"], share_id=share.pk))
    assert view.version.pk == v1.pk and not view.superseded and view.valid_version is None


def _view_only_pdf(world):
    """Alice, and a view-only share of a real two-page PDF as she finds it in the portal."""
    brochure = factories.document(world["owner"], classification="public", content=two_page_pdf())
    share = _share(world, brochure, downloadable=False)
    return world["alice"], share_get_for_portal(user=world["alice"], share_id=share.pk)


def test_a_view_only_pdf_renders_pages_and_never_sends_the_file(world, settings):
    # given a view-only share of a real two-page PDF
    settings.SHARE_PAGE_WIDTH = 400
    alice, found = _view_only_pdf(world)
    # when Alice opens it
    view = share_open(actor=alice, share=found)
    # then it is shown as two rendered pages
    assert view.rendering == "pages" and view.page_count == 2
    page = Image.open(io.BytesIO(share_page_png(actor=alice, share=found, page=2)))
    assert page.format == "PNG" and abs(page.width - 400) <= 1 and page.height > 400
    assert page.getextrema() != ((255, 255),) * len(page.getbands())  # not a blank page
    for missing in (0, 3):
        with pytest.raises(NotFound):
            share_page_png(actor=alice, share=found, page=missing)
    # and a download is a 404, recorded as refused
    with pytest.raises(NotFound):
        share_download(actor=alice, share=found)
    refused = _events("portal.share.downloaded").get()
    assert refused.outcome == "denied" and refused.detail["reason"] == "view_only"
    assert refused.customer_id == world["a"].pk


@pytest.mark.django_db(transaction=True)  # each page re-checks the share in its thread's own connection
def test_pages_render_safely_from_many_threads_at_once(world, settings):
    # given a view-only PDF share, opened by a browser that fetches its page images in parallel
    # (PDFium is not thread-safe: without the lock this aborted the whole process)
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    settings.SHARE_PAGE_WIDTH = 1100
    alice, found = _view_only_pdf(world)
    found.document.valid_version  # loaded here: the threads only re-check the share

    def page(n: int) -> bytes:
        try:
            return share_page_png(actor=alice, share=found, page=1 + n % 2)
        finally:
            connection.close()

    # when forty renders run on eight threads
    with ThreadPoolExecutor(max_workers=8) as pool:
        pngs = list(pool.map(page, range(40)))
    # then every page came back whole
    assert all(Image.open(io.BytesIO(png)).format == "PNG" for png in pngs)
    assert len({png for png in pngs}) == 2


def test_a_view_only_picture_is_page_one(world, settings):
    settings.SHARE_PAGE_WIDTH = 320
    photo = factories.document(world["owner"], classification="public", content=png_bytes(), filename="machine.png")
    share = _share(world, photo, downloadable=False)
    alice = world["alice"]
    view = share_open(actor=alice, share=share)
    assert view.rendering == "image"
    image = Image.open(io.BytesIO(share_page_png(actor=alice, share=share, page=1)))
    assert image.format == "PNG" and image.size == (320, 240)
    with pytest.raises(NotFound):
        share_page_png(actor=alice, share=share, page=2)


def test_a_view_only_pdf_that_pdfium_cannot_open_falls_back_to_text_and_has_no_pages(world):
    # given a view-only share of a PDF with no pages pdfium can read
    doc = factories.document(world["owner"], classification="public", content=factories.pdf_bytes("broken"))
    share = _share(world, doc, downloadable=False)
    view = share_open(actor=world["alice"], share=share)
    assert view.rendering == "text" and view.page_count == 0
    # then asking for a page is a 404, not a server error
    with pytest.raises(NotFound):
        share_page_png(actor=world["alice"], share=share, page=1)


def test_staff_see_which_customers_opened_a_share(world):
    # given a brochure shared with A and B
    brochure = factories.document(world["owner"], classification="public")
    share_a, share_b = _share(world, brochure), _share(world, brochure, customer=world["b"])
    alice, bob = world["alice"], world["bob"]
    # when Alice opens it twice and downloads it, Bob opens it once, and Bob's expired retry is refused
    share_open(actor=alice, share=share_a)
    share_open(actor=alice, share=share_a)
    _body(share_download(actor=alice, share=share_a))
    share_open(actor=bob, share=share_b)
    DocumentShare.objects.filter(pk=share_b.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    share_b.refresh_from_db()
    with pytest.raises(Gone):
        share_open(actor=bob, share=share_b)
    # then the document page can list both customers from the audit trail, successful reads only
    opens = {o.customer_id: o for o in share_opens_for_document(document=brochure)}
    assert set(opens) == {world["a"].pk, world["b"].pk}
    assert (opens[world["a"].pk].views, opens[world["a"].pk].downloads) == (2, 1)
    assert (opens[world["b"].pk].views, opens[world["b"].pk].downloads) == (1, 0)
    assert opens[world["a"].pk].customer_name == "Alpha 阿尔法"
    assert opens[world["a"].pk].people == "Alice" and opens[world["b"].pk].people == "Bob"
    assert opens[world["a"].pk].first_at <= opens[world["a"].pk].last_at
    # and another document shows nobody
    assert share_opens_for_document(document=factories.document(world["owner"], classification="public")) == []


def test_a_portal_user_of_a_disabled_account_finds_no_share(world):
    from backend.sharing.models import PortalAccount

    brochure = factories.document(world["owner"], classification="public")
    share = _share(world, brochure)
    PortalAccount.objects.filter(user=world["alice"]).update(disabled_at=timezone.now())
    alice = type(world["alice"]).objects.get(pk=world["alice"].pk)
    with pytest.raises(NotFound):
        share_get_for_portal(user=alice, share_id=share.pk)


def test_the_chinese_text_pdf_helper_still_renders(world):
    # a PDF with Chinese text (CID font) renders as pages too
    doc = factories.document(world["owner"], classification="public", content=pdf_with_text("产品手册 Manual"))
    share = _share(world, doc, downloadable=False)
    view = share_open(actor=world["alice"], share=share)
    assert view.rendering == "pages" and view.page_count == 1
    assert share_page_png(actor=world["alice"], share=share, page=1)[:8] == b"\x89PNG\r\n\x1a\n"


# --- a share is only as good as whoever vouches for it ---------------------------------------------


def _refusals(**filters):
    return _events("portal.share.refused", outcome="denied", **filters)


def test_a_share_stops_when_its_creator_loses_the_right_to_share_and_a_manager_revives_it(world, settings):
    # (the original is compared below: not stamped on download here; stamping: tests/portal/test_share_stamped.py)
    settings.STAMPED_DOWNLOAD_CLASSIFICATIONS = []
    # given a confidential contract the owner let a colleague manage, and the colleague shared it with A
    owner, alice = world["owner"], world["alice"]
    contract = factories.document(owner, title="Supply contract", classification="confidential")
    member = factories.UserFactory(username="member")
    AccountTeamMember.objects.create(customer=world["a"], user=member)
    document_permission_grant(actor=owner, document=contract, level="manage", user=member)
    share = document_share_create(actor=member, document=contract, customer=world["a"])
    found = share_get_for_portal(user=alice, share_id=share.pk)
    assert share_open(actor=alice, share=found).version == contract.valid_version

    # when the owner takes the colleague's grant away
    document_permission_revoke(actor=owner, document=contract, user=member)

    # then the share Alice already holds is refused at every read (404, audited with the reason)...
    with pytest.raises(NotFound):
        share_open(actor=alice, share=found)
    with pytest.raises(NotFound):
        share_download(actor=alice, share=found)
    with pytest.raises(NotFound):
        share_page_png(actor=alice, share=found, page=1)
    # ...and the portal no longer lists or finds it
    assert list(share_list_for_portal(user=alice)) == []
    with pytest.raises(NotFound):
        share_get_for_portal(user=alice, share_id=share.pk)
    refused = _refusals(customer_id=world["a"].pk)
    assert [e.detail["action"] for e in refused] == ["open", "download", "page", "get"]
    assert {e.detail["reason"] for e in refused} == {"not_vouched"}
    # staff see why it stopped
    [listed] = shares_for_document(user=owner, document=contract)
    assert listed.standing == "not_vouched" and not listed.vouched

    # when the owner re-confirms it, they vouch for it and Alice reads it again
    document_share_reconfirm(actor=owner, share=share)
    found = share_get_for_portal(user=alice, share_id=share.pk)
    assert _body(share_download(actor=alice, share=found)) == _body(
        document_version_download(actor=owner, version=contract.valid_version))
    [listed] = shares_for_document(user=owner, document=contract)
    assert listed.standing == "active" and listed.confirmed_by == owner and listed.created_by == member
    reconfirmed = _events("document.share.reconfirmed").get()
    assert reconfirmed.actor_id == owner.pk and reconfirmed.customer_id == world["a"].pk
    assert reconfirmed.detail["previous_voucher"] == "member" and not reconfirmed.detail["was_suspended"]


def test_an_inactive_creator_vouches_for_nothing(world):
    brochure = factories.document(world["colleague"], classification="internal")
    share = document_share_create(actor=world["colleague"], document=brochure, customer=world["a"])
    found = share_get_for_portal(user=world["alice"], share_id=share.pk)
    type(world["colleague"]).objects.filter(pk=world["colleague"].pk).update(is_active=False)
    with pytest.raises(NotFound):
        share_open(actor=world["alice"], share=found)


def test_raising_the_classification_suspends_the_shares_of_who_may_not_manage_the_document(world):
    # given an internal price list of the sales department, shared with A by a colleague and by its owner
    owner, colleague, alice = world["owner"], world["colleague"], world["alice"]
    prices = factories.document(owner, title="Price list", classification="internal")
    by_colleague = document_share_create(actor=colleague, document=prices, customer=world["a"], downloadable=False)
    by_owner = document_share_create(actor=owner, document=prices, customer=world["b"])
    held = share_get_for_portal(user=alice, share_id=by_colleague.pk)

    # when the owner raises it to confidential
    document_update(actor=owner, document=prices, classification="confidential")

    # then the colleague's share is suspended (they may not manage it), the owner's is not
    by_colleague.refresh_from_db()
    by_owner.refresh_from_db()
    assert by_colleague.suspended_at is not None and by_colleague.suspended_reason == "reclassified"
    assert by_owner.suspended_at is None
    suspended = _events("document.share.suspended").get()
    assert suspended.customer_id == world["a"].pk and suspended.actor_id == owner.pk
    assert suspended.detail["share"] == by_colleague.pk and suspended.detail["voucher"] == "colleague"
    assert _events("document.updated").get().detail["suspended_shares"] == [by_colleague.pk]
    assert [s.pk for s in shares_suspended_for_document(user=owner, document=prices)] == [by_colleague.pk]
    # and Alice's portal reads are refused, the share she already holds included
    with pytest.raises(NotFound):
        share_open(actor=alice, share=held)
    with pytest.raises(NotFound):
        share_get_for_portal(user=alice, share_id=by_colleague.pk)
    assert {e.detail["reason"] for e in _refusals()} == {"suspended"}
    assert share_get_for_portal(user=world["bob"], share_id=by_owner.pk)

    # lowering the classification again does not lift the suspension: someone must vouch for it
    document_update(actor=owner, document=prices, classification="internal")
    with pytest.raises(NotFound):
        share_get_for_portal(user=alice, share_id=by_colleague.pk)


def test_re_confirming_needs_the_right_to_manage_and_a_live_share(world):
    owner, colleague = world["owner"], world["colleague"]
    prices = factories.document(owner, title="Price list", classification="internal")
    share = document_share_create(actor=colleague, document=prices, customer=world["a"])
    document_update(actor=owner, document=prices, classification="secret")
    # the colleague who shared it may not re-confirm it (404, audited)
    with pytest.raises(PermissionDenied):
        document_share_reconfirm(actor=colleague, share=share)
    assert _events("document.access.denied", actor_id=colleague.pk).exists()
    # a revoked share is not brought back
    document_share_revoke(actor=owner, share=share)
    with pytest.raises(Conflict):
        document_share_reconfirm(actor=owner, share=share)
    assert not _events("document.share.reconfirmed").exists()


def test_shares_of_who_may_manage_survive_a_raise_to_secret(world):
    owner = world["owner"]
    contract = factories.document(owner, classification="confidential")
    manager = factories.UserFactory(username="manager")
    AccountTeamMember.objects.create(customer=world["a"], user=manager)
    document_permission_grant(actor=owner, document=contract, level="manage", user=manager)
    share = document_share_create(actor=manager, document=contract, customer=world["a"])
    document_update(actor=owner, document=contract, classification="secret")
    share.refresh_from_db()
    assert share.suspended_at is None and not _events("document.share.suspended").exists()
    assert share_open(actor=world["alice"], share=share_get_for_portal(user=world["alice"], share_id=share.pk))
