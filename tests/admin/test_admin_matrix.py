"""The Django admin, page by page and role by role.

Every registered model's changelist, add, change, delete and history pages, for every role, answer as
backend/access/policy/admin.py says; a secret document's title and file name show in none of them
(the compliance officer reads them only in the audit trail, which is theirs to read); and the
admin's own writes are closed for everyone, Django superusers included.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from backend.access.policy.admin import PolicyModelAdmin, admin_queryset
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import DocumentLink, Order
from backend.documents.models import Document
from tests import factories
from tests.crm.factories import CustomerFactory, OrderFactory, QuoteFactory
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Project Nightjar acquisition terms"
SECRET_FILE = "nightjar-term-sheet.pdf"
ROLES = ["anonymous", "portal", Role.SALES, Role.SERVICE, Role.STAFF, Role.COMPLIANCE, Role.ADMIN]

# model label -> roles that may open its pages (the rest of the rules: nobody adds, changes or deletes,
# except users and departments, added by administrators through the accounts services)
VIEWERS = {
    "accounts.user": {Role.ADMIN}, "accounts.department": {Role.ADMIN}, "accounts.apitoken": {Role.ADMIN},
    "documents.document": {Role.ADMIN, Role.COMPLIANCE}, "documents.tag": {Role.ADMIN},
    "audit.auditevent": {Role.COMPLIANCE}, "notifications.deliveryrecord": {Role.ADMIN},
}
ADDERS = {"accounts.user": {Role.ADMIN}, "accounts.department": {Role.ADMIN}}


def _viewers(label: str) -> set:
    return VIEWERS.get(label, {Role.ADMIN} if label.startswith("crm.") else set())


@pytest.fixture
def world(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    owner = factories.UserFactory(username="owner", role=Role.SALES)
    secret = factories.document(owner, title=SECRET_TITLE, classification="secret", filename=SECRET_FILE,
                                tags=["nightjar"])
    internal = factories.document(owner, title="Price list", classification="public")
    customer = CustomerFactory(owner=owner)
    DocumentLink.objects.create(document=secret, customer=customer, target_type="customer", created_by=owner)
    QuoteFactory(customer=customer, owner=owner, document=secret)
    OrderFactory(customer=customer, owner=owner)
    Order.objects.update(contract_document=secret)
    factories.api_token(owner)
    users = {"portal": portal_user(customer)}
    for role in (Role.SALES, Role.SERVICE, Role.STAFF, Role.COMPLIANCE, Role.ADMIN):
        # every one of them a Django superuser: the admin must not care
        users[role] = factories.UserFactory(username=f"as-{role}", role=role, is_staff=True, is_superuser=True)
    return {"secret": secret, "internal": internal, "users": users}


def _pages(model, user) -> dict[str, tuple[str, bool]]:
    """page name -> (URL, whether the object behind it is one the policy shows `user`).

    The object is the model's first row: for documents that is the secret one, which must be missing."""
    opts = model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    first = model._default_manager.order_by("pk").first()
    pk = first.pk if first is not None else 999999
    shown = user is not None and admin_queryset(user, model._default_manager.filter(pk=pk)).exists()
    return {"changelist": (base, True), "add": (f"{base}add/", True), "change": (f"{base}{pk}/change/", shown),
            "delete": (f"{base}{pk}/delete/", shown), "history": (f"{base}{pk}/history/", shown)}


def _expected(role, label: str, page: str, exists: bool) -> int:
    if role == "portal":
        return 404  # the portal boundary: no staff URL exists for a customer's contact
    if role not in (Role.ADMIN, Role.COMPLIANCE):
        return 302  # the admin site sends them to sign in; nothing about the model is answered
    may_view = role in _viewers(label)
    if page == "changelist":
        return 200 if may_view else 403
    if page == "add":
        return 200 if role in ADDERS.get(label, set()) else 403
    if page == "delete":
        return 403
    if page == "change":
        return (200 if exists else 302) if may_view else 403
    # history: an object the viewer may not see is missing (redirect), like one that does not exist
    return 200 if may_view and exists else 302


def test_every_registered_model_is_under_the_policy():
    # Django's Group admin is gone (department groups carry document grants), and every model's admin
    # takes its rules from backend.access.policy.admin
    assert Group not in admin.site._registry
    assert all(isinstance(model_admin, PolicyModelAdmin) for model_admin in admin.site._registry.values())


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_answers_every_page_as_the_policy_says(world, client, role):
    # given a user of this role (staff ones even Django superusers) and a secret document nobody here may see
    user = None if role == "anonymous" else world["users"][role]
    if user is not None:
        client.force_login(user)
    assert not admin_queryset(world["users"][Role.ADMIN], Document.objects.filter(pk=world["secret"].pk)).exists()
    for model in list(admin.site._registry):
        label = model._meta.label_lower
        for page, (url, exists) in _pages(model, user).items():
            # when they open the page
            response = client.get(url)
            # then the answer is the policy's
            assert response.status_code == _expected(role, label, page, exists), (role, url)
            # and the secret document's title and file name are not in it (the trail is compliance's to read)
            if not (role == Role.COMPLIANCE and label == "audit.auditevent"):
                assert SECRET_TITLE.encode() not in response.content, (role, url)
                assert SECRET_FILE.encode() not in response.content, (role, url)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COMPLIANCE])
def test_the_secret_documents_own_pages_are_missing_to_those_without_a_grant(world, client, role):
    # given an administrator and a compliance officer, neither granted the secret document
    client.force_login(world["users"][role])
    secret, internal = world["secret"], world["internal"]

    # when they open the documents list, search for it, and open its pages
    listing = client.get("/admin/documents/document/")
    searched = client.get("/admin/documents/document/", {"q": "Nightjar"})
    change = client.get(f"/admin/documents/document/{secret.pk}/change/")
    history = client.get(f"/admin/documents/document/{secret.pk}/history/")

    # then the list shows what the policy lets them see, and the secret one is as missing as a wrong id
    assert listing.status_code == searched.status_code == 200
    assert internal.title.encode() in listing.content
    assert SECRET_TITLE.encode() not in listing.content + searched.content
    assert change.status_code == history.status_code == 302
    assert client.get(f"/admin/documents/document/{internal.pk}/change/").status_code == 200


def test_the_owner_is_not_let_into_the_admin_by_owning_it(world, client):
    owner = world["secret"].owner
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client.force_login(owner)
    assert client.get("/admin/documents/document/").status_code == 302


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COMPLIANCE])
def test_nobody_writes_through_the_admins_own_forms(world, client, role):
    # given a document the user may see, and POSTs the admin's own forms would take
    client.force_login(world["users"][role])
    internal = world["internal"]
    change = client.post(f"/admin/documents/document/{internal.pk}/change/", {"title": "Renamed"})
    delete = client.post(f"/admin/documents/document/{internal.pk}/delete/", {"post": "yes"})
    assert change.status_code == delete.status_code == 403
    internal.refresh_from_db()
    assert internal.title == "Price list"
    assert not AuditEvent.objects.filter(event_type__startswith="document.", detail__title="Renamed").exists()
