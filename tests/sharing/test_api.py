"""Sharing a document with customers through the staff API.

Sharing needs the right to download the document and to see the customer; a confidential document
also needs the right to manage it. No right -> 404 like a missing id; right -> 201 and an audit row
carrying the customer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.crm.models import AccountTeamMember
from backend.documents.services import document_version_create
from backend.sharing.models import DocumentShare
from backend.sharing.shares import document_share_create, document_share_revoke, share_open
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client as client_for
from tests.portal_factories import portal_user

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def cast():
    """owner owns a confidential contract and an internal brochure, and the customer; caller is a colleague
    of another department who sees the customer through its account team."""
    sales = factories.DepartmentFactory(code="sales-east")
    service = factories.DepartmentFactory(code="service-west")
    owner = factories.UserFactory(username="owner", department=sales)
    caller = factories.UserFactory(username="caller", department=service)
    customer = CustomerFactory(name="宁波精密 Ningbo Precision", owner=owner)
    AccountTeamMember.objects.create(customer=customer, user=caller, role="co-seller")
    contract = factories.document(owner, title="Supply contract", classification="confidential")
    brochure = factories.document(owner, title="Brochure", kind="other", classification="internal")
    return {"owner": owner, "caller": caller, "customer": customer, "contract": contract, "brochure": brochure}


def _share(client, document, customer, **extra):
    return client.post(f"/api/documents/{document.pk}/shares/", {"customer": customer.pk, **extra}, format="json")


@pytest.mark.parametrize("level, status", [(None, 404), ("view", 404), ("download", 404), ("change", 404),
                                           ("manage", 201)])
def test_sharing_a_confidential_document_needs_the_right_to_manage_it(cast, level, status):
    # given a colleague with a grant at `level` (or none) on the confidential contract
    if level:
        document_permission_grant(actor=cast["owner"], document=cast["contract"], level=level, user=cast["caller"])

    # when they share it with the customer
    response = _share(client_for(cast["caller"]), cast["contract"], cast["customer"])

    # then only the right to manage allows it; otherwise 404 and nothing is shared
    assert response.status_code == status, response.content
    assert DocumentShare.objects.exists() is (status == 201)
    if status == 201:
        assert AuditEvent.objects.filter(event_type="document.share.created", actor=cast["caller"],
                                         customer_id=cast["customer"].pk).exists()
    else:
        assert AuditEvent.objects.filter(actor=cast["caller"], outcome="denied").exists()


def test_an_internal_document_is_shared_by_who_may_download_it(cast):
    # the caller may not download the owner's internal brochure (another department): 404
    client = client_for(cast["caller"])
    assert _share(client, cast["brochure"], cast["customer"]).status_code == 404
    document_permission_grant(actor=cast["owner"], document=cast["brochure"], level="download", user=cast["caller"])
    expires = timezone.now() + dt.timedelta(days=7)
    response = _share(client, cast["brochure"], cast["customer"], downloadable=False, expires_at=expires.isoformat(),
                      note="产品手册")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["customer"] == {"id": cast["customer"].pk, "name": cast["customer"].name}
    assert body["version"] is None and body["downloadable"] is False and body["expired"] is False
    assert body["note"] == "产品手册" and body["created_by"]["username"] == "caller" and body["revoked_at"] is None


def test_the_customer_must_be_one_the_caller_can_see_and_the_version_must_exist(cast):
    client = client_for(cast["owner"])
    hidden = CustomerFactory(owner=factories.UserFactory(department=factories.DepartmentFactory(code="far")))
    response = _share(client, cast["contract"], hidden)
    assert response.status_code == 400 and "customer" in response.json()["fields"]
    missing = type(hidden)(pk=hidden.pk + 10_000)
    assert _share(client, cast["contract"], missing).json() == response.json()

    assert _share(client, cast["contract"], cast["customer"], version=9).status_code == 400
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert _share(client, cast["contract"], cast["customer"], expires_at=past).status_code == 400
    assert not DocumentShare.objects.exists()


def test_a_share_pins_a_version_and_the_list_shows_it_with_who_opened_it(cast):
    owner, customer, contract = cast["owner"], cast["customer"], cast["contract"]
    document_version_create(actor=owner, document=contract, upload=factories.upload_source(None, "v2.pdf"))
    client = client_for(owner)
    response = _share(client, contract, customer, version=1, offer_valid_version=False)
    assert response.status_code == 201 and response.json()["version"] == 1
    share = DocumentShare.objects.get()
    reader = portal_user(customer, name="周婷", invited_by=owner)
    share_open(actor=reader, share=share)

    listing = client.get(f"/api/documents/{contract.pk}/shares/")
    assert listing.status_code == 200
    body = listing.json()
    assert [s["id"] for s in body["shares"]] == [share.pk]
    assert body["opened"][0]["customer_id"] == customer.pk and body["opened"][0]["views"] == 1
    assert "周婷" in body["opened"][0]["people"]


def test_revoking(cast):
    owner, caller, customer, contract = cast["owner"], cast["caller"], cast["customer"], cast["contract"]
    share = document_share_create(actor=owner, document=contract, customer=customer)
    url = f"/api/documents/{contract.pk}/shares/{share.pk}/revoke/"

    # a colleague who may only view the document cannot revoke; nor through another document's URL
    document_permission_grant(actor=owner, document=contract, level="view", user=caller)
    assert client_for(caller).post(url).status_code == 404
    assert client_for(owner).post(f"/api/documents/{cast['brochure'].pk}/shares/{share.pk}/revoke/"
                                  ).status_code == 404

    response = client_for(owner).post(url)
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert response.json()["revoked_by"]["username"] == "owner"
    assert AuditEvent.objects.filter(event_type="document.share.revoked", actor=owner,
                                     customer_id=customer.pk).exists()
    # revoking twice is harmless
    assert client_for(owner).post(url).status_code == 200
    assert AuditEvent.objects.filter(event_type="document.share.revoked").count() == 1


def test_listing_needs_the_document_and_no_portal_user_gets_in(cast):
    share = document_share_create(actor=cast["owner"], document=cast["contract"], customer=cast["customer"])
    assert client_for(cast["caller"]).get(f"/api/documents/{cast['contract'].pk}/shares/").status_code == 404

    reader = portal_user(cast["customer"], invited_by=cast["owner"])
    key = factories.api_token(reader)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/documents/{cast['contract'].pk}/shares/").status_code == 404
    assert api.post(f"/api/documents/{cast['contract'].pk}/shares/{share.pk}/revoke/").status_code == 404
    assert _share(api, cast["contract"], cast["customer"]).status_code == 404


def test_the_share_list_query_count_is_pinned(cast, django_assert_num_queries):
    owner, contract = cast["owner"], cast["contract"]
    client = client_for(owner)
    first = document_share_create(actor=owner, document=contract, customer=cast["customer"])
    share_open(actor=portal_user(cast["customer"], invited_by=owner), share=first)
    url = f"/api/documents/{contract.pk}/shares/"
    client.get(url)
    # + 2 of the 10: the read is recorded (document.share.listed: the chain's head locked and read, the insert)
    with django_assert_num_queries(10) as captured:
        assert client.get(url).status_code == 200
    for i in range(3):
        customer = CustomerFactory(owner=owner)
        share = document_share_create(actor=owner, document=contract, customer=customer)
        share_open(actor=portal_user(customer, name=f"P{i}", invited_by=owner), share=share)
        document_share_revoke(actor=owner, share=document_share_create(actor=owner, document=contract,
                                                                       customer=customer,
                                                                       version=contract.valid_version))
    with django_assert_num_queries(len(captured.captured_queries)):
        response = client.get(url)
    assert len(response.json()["shares"]) == 7 and len(response.json()["opened"]) == 4


def test_who_can_access_lists_the_customers_and_portal_users_reading_through_shares(cast):
    # given the contract shared with the customer twice: pinned v1 view-only with an expiry, and following
    # the valid version; the customer has an active portal user, a disabled one and one not yet activated
    from backend.sharing.models import PortalAccount

    owner, contract, customer = cast["owner"], cast["contract"], cast["customer"]
    reader = portal_user(customer, name="Reader 读者", invited_by=owner)
    gone = portal_user(customer, name="Gone", invited_by=owner)
    PortalAccount.objects.filter(user=gone).update(disabled_at=timezone.now())
    portal_user(customer, name="Invited", invited_by=owner, active=False)
    expires = timezone.now() + dt.timedelta(days=30)
    pinned = document_share_create(actor=owner, document=contract, customer=customer,
                                   version=contract.valid_version, downloadable=False, expires_at=expires)
    revoked = document_share_create(actor=owner, document=contract, customer=customer)
    document_share_revoke(actor=owner, share=revoked)
    following = document_share_create(actor=owner, document=contract, customer=customer)

    # when the owner asks who can access it
    response = client_for(owner).get(f"/api/documents/{contract.pk}/access/")

    # then each live share is a rule naming the customer, its active portal users, and what the share allows
    assert response.status_code == 200
    rules = {r["share"]["id"]: r for r in response.json() if r["via"] == "share"}
    assert set(rules) == {pinned.pk, following.pk}
    for rule in rules.values():
        assert rule["principal_type"] == "customer" and rule["principal_id"] == customer.pk
        assert [m["id"] for m in rule["members"]] == [reader.pk]
        assert rule["share"]["voucher"]["id"] == owner.pk and rule["share"]["in_force"]
    view_only, follows = rules[pinned.pk], rules[following.pk]
    assert view_only["actions"] == ["view", "read"] and not view_only["share"]["downloadable"]
    assert view_only["share"]["version"] == 1 and view_only["share"]["expires_at"]
    assert follows["actions"] == ["view", "read", "download"] and follows["share"]["version"] is None
    assert follows["share"]["expires_at"] is None and not follows["share"]["suspended"]
    # and the staff page's access panel says the same
    panel = client_for(owner).get(f"/documents/{contract.pk}/access/").content.decode()
    assert "through a share" in panel and "Reader 读者" in panel and f'data-testid="access-share-{pinned.pk}"' in panel


def test_the_access_list_marks_a_share_whose_creator_may_no_longer_share_it(cast):
    owner, contract, customer, caller = cast["owner"], cast["contract"], cast["customer"], cast["caller"]
    document_permission_grant(actor=owner, document=contract, level="manage", user=caller)
    share = document_share_create(actor=caller, document=contract, customer=customer)
    document_permission_grant(actor=owner, document=contract, level="download", user=caller)
    [rule] = [r for r in client_for(owner).get(f"/api/documents/{contract.pk}/access/").json() if r["via"] == "share"]
    assert rule["share"]["id"] == share.pk and rule["actions"] == []
    assert not rule["share"]["vouched"] and not rule["share"]["in_force"] and not rule["share"]["suspended"]
    listed = client_for(owner).get(f"/api/documents/{contract.pk}/shares/").json()["shares"]
    assert [(s["id"], s["standing"], s["vouched"]) for s in listed] == [(share.pk, "not_vouched", False)]
