"""Customers: duplicates across reps, teams, reassignment, and document access that follows the customer."""

from __future__ import annotations

import pytest

from backend.access.policy import Action, can, user_principals, view_principals_for_documents
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.services.customers import customer_create, customer_reassign, customer_team_add
from backend.crm.services.links import document_link_create
from backend.crm.services.opportunities import opportunity_create
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def reps():
    east = factories.DepartmentFactory(code="east")
    north = factories.DepartmentFactory(code="north")
    return {
        "wang": factories.UserFactory(username="wang", display_name="Wang Fang", department=east),
        "li": factories.UserFactory(username="li", display_name="Li Lei", department=north),
        "zhao": factories.UserFactory(username="zhao", display_name="Zhao Min", department=north),
        "admin": factories.UserFactory(username="boss", role=Role.ADMIN, department=east),
        "author": factories.UserFactory(username="author", department=factories.DepartmentFactory(code="west")),
        "colleague": factories.UserFactory(username="colleague", department=east),
    }


def test_a_second_rep_creating_the_same_customer_gets_409_naming_the_owner(reps):
    # given Wang owns 上海华东精密机械 in Shanghai
    customer_create(actor=reps["wang"], name="上海华东精密机械有限公司", region="Shanghai")

    # when Li (another department) creates the same name, differently cased spaces aside, in the same region
    response = client_for(reps["li"]).post(
        "/api/crm/customers/", {"name": "上海华东精密机械有限公司", "region": "Shanghai"}, format="json"
    )

    # then 409 says who owns it and since when
    assert response.status_code == 409
    body = response.json()
    assert "owned by Wang Fang since" in body["detail"]
    assert body["owner"]["name"] == "Wang Fang"
    assert body["reason"] == "duplicate_customer"


def test_the_same_name_in_another_region_is_a_different_customer_but_codes_are_unique(reps):
    customer_create(actor=reps["wang"], name="Bright Optics", region="Shenzhen", code="C-001")
    other_region = client_for(reps["li"]).post("/api/crm/customers/", {"name": "bright optics", "region": "Xi'an"},
                                               format="json")
    same_code = client_for(reps["li"]).post("/api/crm/customers/", {"name": "Other", "code": "C-001"}, format="json")
    case_dup = client_for(reps["li"]).post("/api/crm/customers/", {"name": "BRIGHT OPTICS", "region": "Shenzhen"},
                                           format="json")
    assert other_region.status_code == 201
    assert same_code.status_code == 409
    assert case_dup.status_code == 409


def test_customer_visibility_follows_owner_team_department_and_role(reps):
    customer = customer_create(actor=reps["wang"], name="Hangzhou Turbines", region="Hangzhou")
    # given Li is not related; Zhao is on the team
    customer_team_add(actor=reps["wang"], customer=customer, user=reps["zhao"])

    # then
    assert client_for(reps["li"]).get(f"/api/crm/customers/{customer.pk}/").status_code == 404
    assert client_for(reps["zhao"]).get(f"/api/crm/customers/{customer.pk}/").status_code == 200
    assert client_for(reps["colleague"]).get(f"/api/crm/customers/{customer.pk}/").status_code == 200  # same dept
    assert client_for(reps["admin"]).get(f"/api/crm/customers/{customer.pk}/").status_code == 200
    # and a team member may change but not reassign
    assert can(reps["zhao"], Action.CHANGE, customer)
    assert not can(reps["zhao"], Action.MANAGE, customer)
    response = client_for(reps["zhao"]).post(f"/api/crm/customers/{customer.pk}/reassign/",
                                             {"owner": reps["zhao"].pk}, format="json")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=reps["zhao"]).exists()


def test_internal_documents_follow_the_customer_and_move_with_reassignment(reps):
    wang, li, author = reps["wang"], reps["li"], reps["author"]
    # given an internal document of another department's author, linked to Wang's customer through a deal,
    # and a confidential one linked the same way
    customer = customer_create(actor=wang, name="Tianjin Heavy Industry", region="Tianjin", owner=wang)
    customer_team_add(actor=wang, customer=customer, user=author)
    deal = opportunity_create(actor=wang, customer=customer, title="Line upgrade", amount="1200000")
    internal = factories.document(author, title="Site survey", classification="internal")
    confidential = factories.document(author, title="Margin sheet", classification="confidential")
    document_link_create(actor=author, document=internal, target=deal)
    document_link_create(actor=author, document=confidential, target=customer)

    # then the owner sees the internal one (not download) and not the confidential one; Li sees neither
    assert can(wang, Action.VIEW, internal) and not can(wang, Action.DOWNLOAD, internal)
    assert not can(wang, Action.VIEW, confidential)
    assert not can(li, Action.VIEW, internal)

    # when the customer is reassigned to Li
    customer_reassign(actor=reps["admin"], customer=customer, new_owner=li)

    # then the access moved at once, in the policy, the list API and the search tokens alike
    assert can(li, Action.VIEW, internal)
    assert not can(wang, Action.VIEW, internal)
    listed = {row["id"] for row in client_for(li).get("/api/documents/?page_size=100").json()["results"]}
    assert internal.pk in listed and confidential.pk not in listed
    tokens = set(view_principals_for_documents([internal.pk])[internal.pk])
    assert tokens & set(user_principals(li))
    assert not tokens & set(user_principals(wang))
    assert AuditEvent.objects.filter(event_type="crm.customer.reassigned", customer_id=customer.pk).exists()


def test_a_customers_page_lists_documents_through_all_its_records(reps):
    wang = reps["wang"]
    customer = customer_create(actor=wang, name="Suzhou Motion", region="Suzhou")
    deal = opportunity_create(actor=wang, customer=customer, title="Retrofit")
    direct = factories.document(wang, title="NDA", kind="contract")
    via_deal = factories.document(wang, title="Tender", kind="bid")
    unrelated = factories.document(wang, title="Someone else's")
    document_link_create(actor=wang, document=direct, target=customer)
    document_link_create(actor=wang, document=via_deal, target=deal)
    document_link_create(actor=wang, document=via_deal, target=customer)

    # when the customer's documents are listed
    response = client_for(wang).get(f"/api/crm/customers/{customer.pk}/documents/")

    # then both show once, grouped by kind, with their links; the unrelated one does not
    groups = response.json()["groups"]
    assert [d["title"] for d in groups["contract"]] == ["NDA"]
    assert [d["title"] for d in groups["bid"]] == ["Tender"]
    assert {link["target_type"] for link in groups["bid"][0]["links"]} == {"opportunity", "customer"}
    assert all(d["id"] != unrelated.pk for rows in groups.values() for d in rows)


def test_linking_needs_change_access_on_both_sides(reps):
    wang, li = reps["wang"], reps["li"]
    customer = customer_create(actor=wang, name="Qingdao Ports", region="Qingdao")
    document = factories.document(li, title="Li's own file")

    # when Li links his document to Wang's customer
    response = client_for(li).post("/api/crm/links/", {"document": document.pk, "target_type": "customer",
                                                       "target_id": customer.pk}, format="json")

    # then the customer is not his to link to (he cannot even see it)
    assert response.status_code == 400
    assert "target_id" in response.json()["fields"]


def test_customer_list_pins_its_query_count(reps, django_assert_num_queries):
    for index in range(5):
        customer_create(actor=reps["wang"], name=f"Customer {index}", region="East")
    client = client_for(reps["wang"])
    for size in (2, 5):
        with django_assert_num_queries(3):
            response = client.get(f"/api/crm/customers/?page_size={size}")
        assert len(response.json()["results"]) == size
