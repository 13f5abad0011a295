"""The permission matrix of every staff page: not signed in -> sign-in page; no access -> 404 (exactly like a
missing id); access -> 200; the compliance console -> 404 for everyone but compliance. Reads that the audit
trail must know about leave their row."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

MISSING = 999_999


def _status(user, url: str) -> int:
    return client_for(user).get(url).status_code


def test_every_page_needs_a_signed_in_user(world):
    # given pages of every kind; when nobody is signed in; then each answers with the sign-in page
    doc, customer = world.quote_doc.pk, world.customer.pk
    urls = ["/", "/search/?q=x", f"/documents/{doc}/", f"/documents/{doc}/download/",
            f"/documents/{doc}/versions/1/download/", f"/documents/{doc}/versions/1/preview/",
            f"/documents/{doc}/access/", f"/documents/{doc}/access-log/", "/customers/", f"/customers/{customer}/",
            "/pipeline/", "/service/", "/reports/", "/reports/funnel.csv", "/compliance/", "/compliance/events/1/",
            "/compliance/export.csv", "/compliance/export.json", "/compliance/user-access/",
            "/compliance/document-access/"]
    anonymous = Client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/signin/?next="), url
    for url in [f"/documents/{doc}/versions/", f"/documents/{doc}/checkout/", f"/pipeline/{world.opportunity.pk}/stage/",
                f"/service/{world.record.pk}/confirm/", "/compliance/verify/"]:
        assert anonymous.post(url).status_code == 302, url


def test_document_page_matrix(world):
    doc, contract, secret = world.quote_doc, world.contract, world.secret_doc
    # the owner sees both; a department colleague sees the internal quote but not the confidential contract
    assert _status(world.rep, f"/documents/{doc.pk}/") == 200
    assert _status(world.rep, f"/documents/{contract.pk}/") == 200
    assert _status(world.colleague, f"/documents/{doc.pk}/") == 200
    assert _status(world.colleague, f"/documents/{contract.pk}/") == 404
    # another department's rep with no relationship: 404, the same as an id that does not exist
    assert _status(world.outsider, f"/documents/{doc.pk}/") == 404
    assert _status(world.outsider, f"/documents/{MISSING}/") == 404
    # secret: not even the administrator's colleagues or compliance see it without a grant
    assert _status(world.compliance, f"/documents/{secret.pk}/") == 404
    assert _status(world.rep, f"/documents/{secret.pk}/") == 404
    # a grant opens it
    document_permission_grant(actor=world.admin, document=secret, level="view", user=world.rep)
    assert _status(world.rep, f"/documents/{secret.pk}/") == 200
    # and the reads are in the trail
    assert AuditEvent.objects.filter(event_type="document.viewed", actor_id=world.rep.pk,
                                     target_id=str(secret.pk)).exists()
    assert AuditEvent.objects.filter(event_type="document.access.denied", actor_id=world.outsider.pk,
                                     target_id=str(doc.pk)).exists()


def test_download_and_preview_matrix(world):
    doc, contract = world.quote_doc, world.contract
    response = client_for(world.colleague).get(f"/documents/{doc.pk}/download/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    preview = client_for(world.rep).get(f"/documents/{doc.pk}/versions/1/preview/")
    assert preview.status_code == 200 and preview["Content-Disposition"].startswith("inline")
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    b"".join(preview.streaming_content)
    assert _status(world.colleague, f"/documents/{contract.pk}/versions/1/download/") == 404
    assert _status(world.outsider, f"/documents/{doc.pk}/download/") == 404
    assert _status(world.rep, f"/documents/{doc.pk}/versions/9/download/") == 404
    # compliance may read an internal document's metadata but not its content
    assert _status(world.compliance, f"/documents/{doc.pk}/") == 200
    assert _status(world.compliance, f"/documents/{doc.pk}/download/") == 404
    assert AuditEvent.objects.filter(event_type="document.version.downloaded", actor_id=world.colleague.pk).exists()


def test_who_can_access_and_access_log_are_for_managers_and_compliance(world):
    doc = world.quote_doc
    for url in (f"/documents/{doc.pk}/access/", f"/documents/{doc.pk}/access-log/"):
        assert _status(world.rep, url) == 200, url  # the owner manages it
        assert _status(world.compliance, url) == 200, url
        assert _status(world.colleague, url) == 404, url  # may view, may not manage
        assert _status(world.outsider, url) == 404, url
    page = client_for(world.rep).get(f"/documents/{doc.pk}/access/").content.decode()
    assert "王芳" in page and "co-seller" not in page
    assert AuditEvent.objects.filter(event_type="document.access.listed", actor_id=world.rep.pk).exists()
    # the document page only offers the panels to those who may open them
    assert "data-testid=\"access-why\"" in client_for(world.rep).get(f"/documents/{doc.pk}/").content.decode()
    assert "data-testid=\"access-why\"" not in client_for(world.colleague).get(f"/documents/{doc.pk}/").content.decode()


def test_customer_360_matrix(world):
    url = f"/customers/{world.customer.pk}/"
    assert _status(world.rep, url) == 200  # owner
    assert _status(world.team, url) == 200  # account team
    assert _status(world.colleague, url) == 200  # the owner's department
    assert _status(world.engineer, url) == 200  # service role sees every customer
    assert _status(world.outsider, url) == 404  # nothing to do with it
    assert _status(world.rep, f"/customers/{world.other_customer.pk}/") == 404  # another rep's customer
    assert _status(world.rep, f"/customers/{MISSING}/") == 404
    listing = client_for(world.outsider).get("/customers/").content.decode()
    assert "北京远航科技" in listing and "上海精工机械有限公司" not in listing


def test_compliance_console_is_for_compliance_only(world):
    urls = ["/compliance/", "/compliance/events/1/", "/compliance/export.csv", "/compliance/export.json",
            "/compliance/user-access/", f"/compliance/document-access/?document={world.quote_doc.pk}"]
    for user in (world.rep, world.admin, world.engineer, world.outsider):
        for url in urls:
            assert _status(user, url) == 404, (user.username, url)
        assert client_for(user).post("/compliance/verify/").status_code == 404
    for url in urls:
        response = client_for(world.compliance).get(url)
        assert response.status_code == 200, url
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert _status(world.compliance, f"/compliance/events/{MISSING}/") == 404
    # the navigation shows the console only to compliance
    assert "/compliance/" in client_for(world.compliance).get("/").content.decode()
    assert "/compliance/" not in client_for(world.rep).get("/").content.decode()


def test_lists_and_boards_answer_every_staff_user(world):
    for user in (world.rep, world.outsider, world.engineer, world.compliance):
        for url in ("/", "/search/?q=报价", "/customers/", "/pipeline/", "/service/", "/reports/"):
            assert _status(user, url) == 200, (user.username, url)


def test_actions_on_records_one_may_not_change_are_404(world):
    # an unrelated rep cannot move the deal or touch the service record; nobody but the assigned engineer confirms
    outsider = client_for(world.outsider)
    assert outsider.post(f"/pipeline/{world.opportunity.pk}/stage/", {"stage": "negotiation"}).status_code == 404
    assert outsider.post(f"/documents/{world.contract.pk}/checkout/").status_code == 404
    assert outsider.post(f"/documents/{world.quote_doc.pk}/versions/", b"x", content_type="text/plain").status_code == 404
    response = client_for(world.rep).post(f"/service/{world.record.pk}/confirm/")
    assert response.status_code == 404
    response = client_for(world.engineer).post(f"/service/{world.record.pk}/confirm/")
    assert response.status_code == 302
    world.record.refresh_from_db()
    assert world.record.dispatch_state == "confirmed"
    assert AuditEvent.objects.filter(event_type="crm.service.dispatch_changed", actor_id=world.engineer.pk).exists()


def test_every_form_is_csrf_protected(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.rep)
    assert strict.post(f"/documents/{world.quote_doc.pk}/checkout/").status_code == 403
    assert strict.post(f"/pipeline/{world.opportunity.pk}/stage/", {"stage": "negotiation"}).status_code == 403
    assert strict.post("/signout/").status_code == 403
    assert Client(enforce_csrf_checks=True).post("/signin/", {"username": "x", "password": "y"}).status_code == 403
