"""While someone else holds a document's check-out ("locked for editing"), the Approve button shows
disabled, naming who holds the lock and since when, instead of being offered and answering 409."""

from __future__ import annotations

import pytest
from django.utils import formats, timezone

from backend.access.services import document_permission_grant
from backend.documents import services
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(world):
    """The confidential contract: 王芳 uploaded v1 (a draft; four eyes, so she may not approve it), and
    陈静 may change it, so she is the one who may approve."""
    document_permission_grant(actor=world.rep, document=world.contract, level="change", user=world.colleague)
    return world.contract


def _since(document) -> str:
    document.refresh_from_db()
    return formats.date_format(timezone.localtime(document.checked_out_at), "SHORT_DATETIME_FORMAT")


def test_the_approve_button_is_offered_when_nobody_holds_the_lock(contract, world):
    page = client_for(world.colleague).get(f"/documents/{contract.pk}/").content.decode()

    assert 'data-testid="approve-1"' in page
    assert 'data-testid="approve-1-locked"' not in page and 'data-testid="approve-locked-notice"' not in page


def test_the_approve_button_is_disabled_naming_the_holder_and_since_when(contract, world):
    # given 王芳 has locked the contract for editing
    services.document_checkout(actor=world.rep, document=contract)

    # when 陈静, who could otherwise approve v1, opens the document
    page = client_for(world.colleague).get(f"/documents/{contract.pk}/").content.decode()

    # then Approve is a disabled button, not a link to the approval, and the notice says who and since when
    assert 'data-testid="approve-1"' not in page
    assert f'/documents/{contract.pk}/versions/1/approve/' not in page
    button = page[page.index('data-testid="approve-1-locked"') - 160:page.index('data-testid="approve-1-locked"')]
    assert " disabled " in button and 'aria-describedby="approve-locked"' in button
    notice = page[page.index('data-testid="approve-locked-notice"'):]
    notice = notice[:notice.index("</p>")]
    assert "王芳" in notice and _since(contract) in notice and "locked for editing" in notice


def test_the_notice_is_in_chinese_for_a_chinese_reader(contract, world):
    services.document_checkout(actor=world.rep, document=contract)

    page = client_for(world.colleague, "zh-hans").get(f"/documents/{contract.pk}/").content.decode()

    assert "王芳 自" in page and "锁定编辑此文档；其解锁后即可批准第 1 版。" in page


def test_the_holder_herself_is_not_stopped_by_her_own_lock(world, django_capture_on_commit_callbacks):
    # given the internal quote document (no four eyes): 王芳 adds v2 and locks the document herself
    from tests.web.world import pdf_with_text, upload

    with django_capture_on_commit_callbacks(execute=True):
        services.document_version_create(actor=world.rep, document=world.quote_doc,
                                         upload=upload(pdf_with_text("v2"), "q2.pdf"))
    services.document_checkout(actor=world.rep, document=world.quote_doc)

    page = client_for(world.rep).get(f"/documents/{world.quote_doc.pk}/").content.decode()

    assert 'data-testid="approve-2"' in page and 'data-testid="approve-locked-notice"' not in page


def test_the_confirmation_page_refuses_once_without_a_form_and_nothing_changes(contract, world):
    services.document_checkout(actor=world.rep, document=contract)
    client = client_for(world.colleague)

    # the confirmation, reached by its address, says why and offers no form
    response = client.get(f"/documents/{contract.pk}/versions/1/approve/")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="approve-refusal"' in html and 'data-testid="approve-form"' not in html
    assert html.count("Locked for editing by 王芳") == 1

    # and once 王芳 unlocks it, the button is offered again and the approval goes through
    services.document_checkin(actor=world.rep, document=contract)
    assert 'data-testid="approve-1"' in client.get(f"/documents/{contract.pk}/").content.decode()
    assert client.post(f"/documents/{contract.pk}/versions/1/approve/").status_code == 302
    contract.refresh_from_db()
    assert contract.valid_version.status == "approved"
