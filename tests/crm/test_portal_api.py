"""Staff API for the customer portal: contacts' portal access and announcements.

No right -> 404 (exactly like a missing record), right -> 200/201, and the audit row carries the customer.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.http import HttpRequest
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.crm.models import Announcement, Contact
from backend.crm.services.announcements import announcement_create
from backend.accounts.models import ApiToken
from backend.sharing.models import PortalAccount
from tests.crm.factories import CustomerFactory
from tests.factories import api_token
from tests.fixtures.clients import api_client
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def _url(people, contact, action):
    return f"/api/crm/customers/{people['customer'].pk}/contacts/{contact.pk}/portal-{action}/"


@pytest.fixture
def contact(people):
    return Contact.objects.create(customer=people["customer"], name="刘经理", email="Liu@Example.cn")


# --- invitations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "colleague", "compliance", "engineer"])
def test_who_may_not_change_the_customer_gets_404_and_nothing_is_sent(people, contact, who,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(people[who]).post(_url(people, contact, "invite"))
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND
    assert not PortalAccount.objects.exists() and not mail.outbox


@pytest.mark.parametrize("who", ["owner", "team", "admin"])
def test_who_may_change_the_customer_invites_and_the_mail_carries_the_link(people, contact, who,
                                                                            django_capture_on_commit_callbacks):
    # when someone who may change the customer invites the contact
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(people[who]).post(_url(people, contact, "invite"))

    # then an invited account exists, the link's expiry is reported but not the link, and one mail went out
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "invited" and body["email"] == "liu@example.cn"
    assert body["invitation_expires_at"] and "link" not in body and "token" not in body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["liu@example.cn"]
    assert re.search(r"/portal/invitation/[\w-]+/", mail.outbox[0].body)
    assert AuditEvent.objects.filter(event_type="portal.account.invited", actor=people[who],
                                     customer_id=people["customer"].pk).exists()


def test_invitation_refusals_are_400_and_409(people, contact, django_capture_on_commit_callbacks):
    client = api_client(people["owner"])
    silent = Contact.objects.create(customer=people["customer"], name="无邮箱")
    response = client.post(_url(people, silent, "invite"))
    assert response.status_code == 400 and "email" in str(response.json())

    active = portal_user(people["customer"], invited_by=people["owner"]).portal_account.contact
    assert client.post(_url(people, active, "invite")).status_code == 409

    # a contact of another customer through this customer's URL, and a contact that does not exist: 404
    other = CustomerFactory(owner=people["owner"])
    stranger = Contact.objects.create(customer=other, name="X", email="x@example.com")
    assert client.post(_url(people, stranger, "invite")).status_code == 404
    assert client.post(f"/api/crm/customers/{people['customer'].pk}/contacts/999999/portal-invite/").status_code == 404


def test_disable_ends_access_and_enable_restores_it(people):
    # given an active portal user, signed in with a session and holding an API token
    person = portal_user(people["customer"], invited_by=people["owner"])
    account = person.portal_account
    session = APIClient()
    session.force_login(person)
    api_token(person)

    # when someone without the right tries: 404 and nothing changes
    assert api_client(people["outsider"]).post(_url(people, account.contact, "disable")).status_code == 404
    assert api_client(people["colleague"]).post(_url(people, account.contact, "disable")).status_code == 404

    # when the team member disables them
    response = api_client(people["team"]).post(_url(people, account.contact, "disable"))

    # then the account is disabled, the session signs nobody in, the token is gone, and it is audited
    assert response.status_code == 200 and response.json()["state"] == "disabled"
    request = HttpRequest()
    request.session = session.session
    assert not get_user(request).is_authenticated
    assert not ApiToken.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(event_type="portal.account.disabled", actor=people["team"],
                                     customer_id=people["customer"].pk).exists()

    # an invitation for a disabled account is refused: enable it instead
    assert api_client(people["owner"]).post(_url(people, account.contact, "invite")).status_code == 409
    response = api_client(people["owner"]).post(_url(people, account.contact, "enable"))
    assert response.status_code == 200 and response.json()["state"] == "active"
    person.refresh_from_db()
    assert person.is_active
    assert AuditEvent.objects.filter(event_type="portal.account.enabled", customer_id=people["customer"].pk).exists()


def test_disabling_a_contact_without_portal_access_is_404(people, contact):
    assert api_client(people["owner"]).post(_url(people, contact, "disable")).status_code == 404
    assert api_client(people["owner"]).post(_url(people, contact, "enable")).status_code == 404


def test_a_portal_user_cannot_reach_these_endpoints_even_for_their_own_customer(people, contact):
    person = portal_user(people["customer"], invited_by=people["owner"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(person)}")
    assert client.post(_url(people, contact, "invite")).status_code == 404
    assert client.get("/api/crm/announcements/").status_code == 404
    assert client.post("/api/crm/announcements/", {"title": "t", "body": "b"}, format="json").status_code == 404


# --- announcements ------------------------------------------------------------------------------------


def test_announcements_are_drafted_published_and_withdrawn(people):
    client = api_client(people["owner"])
    response = client.post("/api/crm/announcements/", {
        "title": "春节服务安排", "body": "春节期间服务热线照常。", "customers": [people["customer"].pk]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["published"] is False and body["all_customers"] is False
    assert body["customers"] == [{"id": people["customer"].pk, "name": people["customer"].name}]
    announcement_id = body["id"]
    assert AuditEvent.objects.filter(event_type="crm.announcement.created", actor=people["owner"]).exists()

    # another rep may read it but neither publish nor withdraw it
    other = api_client(people["outsider"])
    assert any(a["id"] == announcement_id for a in other.get("/api/crm/announcements/").json()["results"])
    assert other.post(f"/api/crm/announcements/{announcement_id}/publish/").status_code == 404

    response = client.post(f"/api/crm/announcements/{announcement_id}/publish/")
    assert response.status_code == 200 and response.json()["published"] is True
    assert AuditEvent.objects.filter(event_type="crm.announcement.published", actor=people["owner"]).exists()
    response = client.post(f"/api/crm/announcements/{announcement_id}/withdraw/")
    assert response.status_code == 200 and response.json()["published"] is False
    assert AuditEvent.objects.filter(event_type="crm.announcement.withdrawn", actor=people["owner"]).exists()
    assert client.post("/api/crm/announcements/999999/publish/").status_code == 404


def test_announcement_input_and_roles(people):
    # the compliance role may read announcements but not write them
    compliance = api_client(people["compliance"])
    assert compliance.get("/api/crm/announcements/").status_code == 200
    assert compliance.post("/api/crm/announcements/", {"title": "t", "body": "b"}, format="json").status_code == 404

    client = api_client(people["outsider"])
    assert client.post("/api/crm/announcements/", {"title": "", "body": "b"}, format="json").status_code == 400
    # a customer the caller cannot see is refused like one that does not exist
    response = client.post("/api/crm/announcements/", {"title": "t", "body": "b",
                                                       "customers": [people["customer"].pk]}, format="json")
    assert response.status_code == 400 and "customers" in str(response.json())
    response = client.post("/api/crm/announcements/", {"title": "全体客户", "body": "b", "publish": True},
                           format="json")
    assert response.status_code == 201 and response.json()["all_customers"] is True
    assert response.json()["published"] is True
    assert not Announcement.objects.filter(all_customers=False).exists()


def test_the_announcement_list_query_count_is_pinned(people, django_assert_num_queries):
    client = api_client(people["owner"])
    announcement_create(actor=people["owner"], title="a", body="b", customers=[people["customer"]], publish=True)
    client.get("/api/crm/announcements/")
    with django_assert_num_queries(4):
        assert client.get("/api/crm/announcements/").status_code == 200
    other = CustomerFactory(owner=people["admin"])
    for i in range(4):
        announcement_create(actor=people["admin"], title=f"n{i}", body="b", customers=[people["customer"], other])
    with django_assert_num_queries(4):
        response = client.get("/api/crm/announcements/")
    assert len(response.json()["results"]) == 5
