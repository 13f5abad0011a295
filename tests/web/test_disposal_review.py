"""The retention pages: policies (compliance and administrators), the disposal review (compliance only),
the document page's retention panel. Everyone else gets a 404; each write leaves its audit row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.documents.models import DisposalState, Document, DocumentRetention, RetentionPolicy
from backend.documents.retention import retention_policy_save, retention_refresh
from tests import factories
from tests.crm.factories import ProductFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def cast(db):
    return {
        "compliance": factories.UserFactory(username="zhao.jing", role=Role.COMPLIANCE),
        "admin": factories.UserFactory(username="wu.lei", role=Role.ADMIN),
        "rep": factories.UserFactory(username="wang.fang"),
        "engineer": factories.UserFactory(username="tom.becker", role=Role.SERVICE),
    }


@pytest.fixture
def due(cast):
    """A contract due for review today: "contracts: created + 1 day", created yesterday."""
    retention_policy_save(actor=cast["compliance"], name="Short contracts", kind="contract", classification="",
                          trigger="created", period=1, unit="days")
    document = factories.document(cast["rep"], title="Expired supply contract", kind="contract")
    Document.objects.filter(pk=document.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    retention_refresh()
    return DocumentRetention.objects.get(document=document)


# --- who gets in -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, policies, review", [
    ("compliance", 200, 200), ("admin", 200, 404), ("rep", 404, 404), ("engineer", 404, 404),
])
def test_who_reaches_the_retention_pages(cast, who, policies, review):
    client = client_for(cast[who])
    assert client.get("/retention/").status_code == policies
    assert client.get("/retention/review/").status_code == review
    home = client.get("/").content
    assert (b'data-testid="nav-retention"' in home) == (policies == 200)


def test_anonymous_callers_sign_in_and_portal_users_get_a_404(cast, client):
    response = client.get("/retention/review/")
    assert response.status_code == 302 and "/signin/" in response["Location"]
    portal_user = factories.UserFactory(username="buyer", role=Role.PORTAL)
    assert client_for(portal_user).get("/retention/").status_code == 404


# --- policies ----------------------------------------------------------------------------------------


def test_an_administrator_adds_and_changes_a_policy_audited(cast):
    client = client_for(cast["admin"])
    form = {"name": "Contracts", "kind": "contract", "classification": "", "trigger": "order_closed",
            "period": "10", "unit": "years", "active": "on"}
    response = client.post("/retention/", form)
    assert response.status_code == 302
    policy = RetentionPolicy.objects.get()
    assert (policy.trigger, policy.period, policy.created_by) == ("order_closed", 10, cast["admin"])

    page = client.get(f"/retention/policies/{policy.pk}/").content.decode()
    assert 'value="Contracts"' in page and "Its order is closed" in page

    client.post(f"/retention/policies/{policy.pk}/", {**form, "period": "7"})
    assert RetentionPolicy.objects.get().period == 7
    assert AuditEvent.objects.filter(event_type="document.retention.policy_saved", actor_id=cast["admin"].pk).count() == 2


def test_a_duplicate_policy_is_shown_on_the_form_not_saved(cast):
    client = client_for(cast["compliance"])
    form = {"name": "Bids", "kind": "bid", "classification": "", "trigger": "opportunity_lost", "period": "6",
            "unit": "months", "active": "on"}
    client.post("/retention/", form)
    response = client.post("/retention/", {**form, "name": "Bids again"})
    assert response.status_code == 400
    assert "A policy for this kind and classification exists already." in response.content.decode()
    assert RetentionPolicy.objects.count() == 1


def test_a_rep_cannot_post_a_policy(cast):
    response = client_for(cast["rep"]).post("/retention/", {"name": "x", "kind": "bid", "trigger": "created",
                                                            "period": "1", "unit": "days"})
    assert response.status_code == 404 and not RetentionPolicy.objects.exists()


def test_the_policies_page_in_chinese(cast):
    html = client_for(cast["admin"], "zh-hans").get("/retention/").content.decode()
    assert "保留策略" in html and "添加策略" in html


# --- the review --------------------------------------------------------------------------------------


def test_the_queue_shows_what_is_due_and_why(cast, due):
    html = client_for(cast["compliance"]).get("/retention/review/").content.decode()
    assert f'data-testid="due-{due.pk}"' in html and "Expired supply contract" in html
    assert "Short contracts" in html and "The document is created" in html


def test_compliance_keeps_a_document_longer(cast, due):
    until = TODAY + dt.timedelta(days=30)
    response = client_for(cast["compliance"]).post(f"/retention/review/{due.pk}/keep/",
                                                   {"until": until.isoformat(), "note": "Audit by the tax office"})
    assert response.status_code == 302
    due.refresh_from_db()
    assert (due.state, due.due_on, due.review_note) == (DisposalState.SCHEDULED, until, "Audit by the tax office")
    assert AuditEvent.objects.filter(event_type="document.disposal.extended", actor_id=cast["compliance"].pk).exists()


def test_keeping_without_a_reason_is_refused_with_a_message(cast, due):
    client = client_for(cast["compliance"])
    response = client.post(f"/retention/review/{due.pk}/keep/", {"until": TODAY.isoformat(), "note": "x"}, follow=True)
    assert "Choose a date after today." in response.content.decode()
    due.refresh_from_db()
    assert due.state == DisposalState.DUE


def test_compliance_disposes_of_a_due_document_and_the_record_stays(cast, due):
    document_id = due.document_id
    response = client_for(cast["compliance"]).post(f"/retention/review/{due.pk}/dispose/", {"note": "End of term"})
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document_id).exists()
    due.refresh_from_db()
    assert (due.state, due.document_id, due.reviewed_by) == (DisposalState.DISPOSED, None, cast["compliance"])
    record = AuditEvent.objects.get(event_type="document.disposal.approved")
    assert record.target_id == str(document_id) and record.actor_id == cast["compliance"].pk
    assert record.detail["title"] == "Expired supply contract" and record.detail["policy"] == "Short contracts"
    assert record.detail["note"] == "End of term"
    html = client_for(cast["compliance"]).get("/retention/review/").content.decode()
    assert f'data-testid="record-{due.pk}"' in html


@pytest.mark.parametrize("who", ["admin", "rep"])
def test_only_compliance_decides(cast, due, who):
    client = client_for(cast[who])
    assert client.post(f"/retention/review/{due.pk}/dispose/").status_code == 404
    assert client.post(f"/retention/review/{due.pk}/keep/", {"until": "2099-01-01", "note": "x"}).status_code == 404
    due.refresh_from_db()
    assert due.state == DisposalState.DUE and due.document_id is not None


def test_the_review_in_chinese(cast, due):
    html = client_for(cast["compliance"], "zh-hans").get("/retention/review/").content.decode()
    assert "处置审核" in html and "永久处置" in html


# --- the document page -------------------------------------------------------------------------------


def test_the_owner_says_which_product_a_brochure_describes(cast):
    brochure = factories.document(cast["rep"], title="Lathe brochure", kind="product_material")
    lathe = ProductFactory(code="QH-CK6150")
    client = client_for(cast["rep"])
    assert 'data-testid="retention-panel"' in client.get(f"/documents/{brochure.pk}/").content.decode()

    response = client.post(f"/documents/{brochure.pk}/retention-product/", {"product": lathe.pk})

    assert response.status_code == 302
    assert DocumentRetention.objects.get(document=brochure).product == lathe
    assert AuditEvent.objects.filter(event_type="document.retention.product_set", actor_id=cast["rep"].pk).exists()


def test_someone_who_cannot_see_the_document_gets_a_404(cast):
    brochure = factories.document(cast["rep"], kind="product_material", classification="confidential")
    outsider = factories.UserFactory(username="zhang.wei")
    response = client_for(outsider).post(f"/documents/{brochure.pk}/retention-product/",
                                         {"product": ProductFactory().pk})
    assert response.status_code == 404 and not DocumentRetention.objects.exists()


def test_the_review_page_reads_a_fixed_number_of_queries_whatever_the_queue(cast, due):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(cast["compliance"])

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/retention/review/").status_code == 200
        return len(captured.captured_queries)

    one = count()
    for number in range(4):
        document = factories.document(cast["rep"], title=f"Old contract {number}", kind="contract")
        Document.objects.filter(pk=document.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    retention_refresh()
    assert DocumentRetention.objects.filter(state=DisposalState.DUE).count() == 5
    assert count() == one


def test_disposing_of_a_held_document_is_refused_with_a_message(cast, due):
    from backend.documents.holds import legal_hold_place

    legal_hold_place(actor=cast["compliance"], scope="document", name="Dispute 2026-7", reason="Litigation",
                     documents=[due.document])
    client = client_for(cast["compliance"], "zh-hans")
    page = client.get("/retention/review/").content.decode()
    assert f'data-testid="held-{due.pk}"' in page and f'data-testid="dispose-{due.pk}"' not in page

    response = client.post(f"/retention/review/{due.pk}/dispose/", follow=True)

    assert response.status_code == 200 and "alert-error" in response.content.decode()
    assert Document.objects.filter(pk=due.document_id).exists()
    due.refresh_from_db()
    assert due.state == DisposalState.DUE
