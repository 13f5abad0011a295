"""The trash page (restore, delete for good) and the legal holds page: who may use them (everyone else
gets a 404), what they change, and the audit rows they leave."""

from __future__ import annotations

import re

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.documents.holds import legal_hold_place
from backend.documents.models import Document, LegalHold
from backend.documents.trash import document_trash
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return factories.UserFactory(username="owner")


@pytest.fixture
def compliance():
    return factories.UserFactory(username="compliance", role=Role.COMPLIANCE)


@pytest.fixture
def trashed(owner):
    document = factories.document(owner, title="Old supply contract")
    document_trash(actor=owner, document=document)
    return document


def test_the_trash_lists_what_its_viewer_may_restore(owner, trashed):
    colleague = factories.UserFactory(department=owner.department)

    mine = client_for(owner).get("/trash/")
    theirs = client_for(colleague).get("/trash/")

    assert mine.status_code == theirs.status_code == 200
    assert f'data-testid="trashed-{trashed.pk}"' in mine.content.decode()
    assert "Old supply contract" not in theirs.content.decode()


def test_restore_from_the_trash(owner, trashed):
    # a colleague who cannot manage it gets a 404 and nothing changes
    colleague = factories.UserFactory(department=owner.department)
    assert client_for(colleague).post(f"/trash/{trashed.pk}/restore/").status_code == 404
    assert Document.objects.get(pk=trashed.pk).trashed_at is not None

    # the owner restores it: back on the document page, audited
    response = client_for(owner).post(f"/trash/{trashed.pk}/restore/")

    assert response.status_code == 302 and response.url == f"/documents/{trashed.pk}/"
    assert Document.objects.get(pk=trashed.pk).trashed_at is None
    assert AuditEvent.objects.filter(event_type="document.restored", actor=owner, target_id=str(trashed.pk)).exists()
    assert client_for(owner).get(f"/documents/{trashed.pk}/").status_code == 200


def test_delete_for_good_from_the_trash_asks_first(owner, trashed):
    colleague = factories.UserFactory(department=owner.department)
    assert client_for(colleague).get(f"/trash/{trashed.pk}/purge/").status_code == 404
    assert client_for(colleague).post(f"/trash/{trashed.pk}/purge/").status_code == 404

    page = client_for(owner).get(f"/trash/{trashed.pk}/purge/")
    assert page.status_code == 200 and 'data-testid="purge-confirm"' in page.content.decode()
    assert Document.objects.filter(pk=trashed.pk).exists()

    response = client_for(owner).post(f"/trash/{trashed.pk}/purge/")

    assert response.status_code == 302 and response.url == "/trash/"
    assert not Document.objects.filter(pk=trashed.pk).exists()
    purged = AuditEvent.objects.get(event_type="document.purged", target_id=str(trashed.pk))
    assert (purged.actor_id, purged.detail["reason"]) == (owner.pk, "purged_from_trash")


def test_the_delete_page_of_a_held_document_says_so_and_refuses(owner, compliance):
    document = factories.document(owner, title="Disputed contract")
    legal_hold_place(actor=compliance, scope="document", name="Arbitration", reason="Claim", documents=[document])

    page = client_for(owner).get(f"/documents/{document.pk}/delete/")
    assert 'data-testid="delete-held"' in page.content.decode() and "Arbitration" in page.content.decode()
    assert 'data-testid="delete-confirm"' not in page.content.decode()

    response = client_for(owner).post(f"/documents/{document.pk}/delete/", follow=True)
    assert "under a legal hold" in response.content.decode()
    assert Document.objects.get(pk=document.pk).trashed_at is None


def test_only_compliance_opens_the_legal_holds_page(owner, compliance):
    admin = factories.UserFactory(role=Role.ADMIN)
    for user in (owner, admin):
        assert client_for(user).get("/legal-holds/").status_code == 404
        assert client_for(user).post("/legal-holds/", {"scope": "matter", "name": "x", "reason": "y"}).status_code == 404
    page = client_for(compliance).get("/legal-holds/")
    assert page.status_code == 200 and 'data-testid="legal-hold-form"' in page.content.decode()
    assert 'data-testid="nav-legal-holds"' in page.content.decode()


def test_compliance_places_and_lifts_a_hold_from_the_page(owner, compliance):
    document = factories.document(owner, title="Disputed contract")
    customer = CustomerFactory(owner=owner, name="Ningbo Castings")
    pages = client_for(compliance)

    # a document hold, prefilled from the document
    assert "Disputed contract" in pages.get(f"/legal-holds/?document={document.pk}").content.decode()
    response = pages.post("/legal-holds/", {"scope": "document", "name": "Arbitration 12", "reason": "Claim",
                                            "document": document.pk})
    assert response.status_code == 302
    hold = LegalHold.objects.get(name="Arbitration 12")
    assert list(hold.documents.all()) == [document]
    # a customer hold
    assert pages.post("/legal-holds/", {"scope": "customer", "name": "Ningbo dispute", "reason": "Claim",
                                        "customer": customer.pk}).status_code == 302
    assert LegalHold.objects.get(name="Ningbo dispute").customer == customer
    # a refused one (no reason) shows on the form
    refused = pages.post("/legal-holds/", {"scope": "matter", "name": "Empty", "reason": ""})
    assert refused.status_code == 400 and not LegalHold.objects.filter(name="Empty").exists()
    assert AuditEvent.objects.filter(event_type="document.legal_hold.placed", actor=compliance).count() == 2

    # lifting: not by the owner (404); by compliance with a reason
    assert client_for(owner).post(f"/legal-holds/{hold.pk}/lift/", {"lift_reason": "x"}).status_code == 404
    assert pages.post(f"/legal-holds/{hold.pk}/lift/", {"lift_reason": "Settled"}).status_code == 302
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (compliance, "Settled")
    assert AuditEvent.objects.filter(event_type="document.legal_hold.lifted", actor=compliance).exists()


def test_the_pages_speak_chinese(owner, trashed, compliance):
    assert "回收站" in client_for(owner, language="zh-hans").get("/trash/").content.decode()
    assert "法律保全" in client_for(compliance, language="zh-hans").get("/legal-holds/").content.decode()


def test_the_document_page_says_when_a_hold_keeps_it(owner, compliance):
    document = factories.document(owner, title="Disputed contract")
    assert 'data-testid="under-legal-hold"' not in client_for(owner).get(f"/documents/{document.pk}/").content.decode()
    assert 'data-testid="place-legal-hold"' in client_for(compliance).get(f"/documents/{document.pk}/").content.decode()

    legal_hold_place(actor=compliance, scope="document", name="Arbitration 12", reason="Claim", documents=[document])

    page = client_for(owner).get(f"/documents/{document.pk}/").content.decode()
    assert 'data-testid="under-legal-hold"' in page and "Arbitration 12" not in page
    assert "Arbitration 12" in client_for(compliance).get(f"/documents/{document.pk}/").content.decode()


def test_compliance_holds_a_customer_from_its_page(owner, compliance):
    # given a customer, seen by its rep and by compliance
    customer = CustomerFactory(owner=owner, name="争议客户有限公司")
    rep_page = client_for(owner).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-hold"' not in rep_page

    # when compliance follows the customer page's link, the form has the customer chosen
    page = client_for(compliance).get(f"/customers/{customer.pk}/").content.decode()
    assert f'href="/legal-holds/?customer={customer.pk}"' in page
    form = client_for(compliance).get(f"/legal-holds/?customer={customer.pk}").content.decode()
    assert 'value="争议客户有限公司"' in form and f'value="{customer.pk}"' in form
    assert re.search(r'<input[^>]*value="customer"[^>]*checked', form)

    # and once the hold is placed, the customer page says so to compliance, naming the hold
    legal_hold_place(actor=compliance, scope="customer", name="Arbitration 7", reason="Claim", customer=customer)
    held = client_for(compliance).get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-holds"' in held and "Arbitration 7" in held


def test_the_hold_form_does_not_name_a_customer_the_user_may_not_see(compliance):
    hidden = CustomerFactory(name="看不见的客户")
    other = factories.UserFactory(role=Role.COMPLIANCE)
    from backend.access.policy import Action, can

    page = client_for(other).get(f"/legal-holds/?customer={hidden.pk}").content.decode()
    assert ("看不见的客户" in page) == can(other, Action.VIEW, hidden)
