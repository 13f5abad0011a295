"""Contacts' preferences (preferred channel, marketing opt-out) and their edits, and the duplicate guard's
reads: service and policy tests (access, audit in the same transaction, the field named, nothing half-saved)."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import Contact
from backend.crm.selectors.customers import customer_duplicates_for
from backend.crm.services.customers import contact_create, contact_update, customer_create
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _events(name: str, contact) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=name, target_id=str(contact.pk)).order_by("id"))


# --- contacts' preferences -------------------------------------------------------------------------------


def test_a_contact_is_created_with_preferences_and_the_opt_out_time(people):
    # given the customer's owner
    owner, customer = people["owner"], people["customer"]
    # when she adds a contact who prefers WeChat and wants no marketing
    contact = contact_create(actor=owner, customer=customer, name="  刘洋 ", title="采购经理", phone="138 0000 0000",
                             preferred_channel="wechat", marketing_opt_out=True)
    # then both are stored, with when the opt-out was set, and the creation is audited with them
    contact.refresh_from_db()
    assert (contact.name, contact.preferred_channel, contact.marketing_opt_out) == ("刘洋", "wechat", True)
    assert contact.marketing_opt_out_at is not None
    event = _events("crm.contact.created", contact)[-1]
    assert event.actor_id == owner.pk and event.customer_id == customer.pk
    assert event.detail["preferred_channel"] == "wechat" and event.detail["marketing_opt_out"] is True


@pytest.mark.parametrize("fields, field, message", [
    ({"name": " "}, "name", "A name is required."),
    ({"email": "not-an-address"}, "email", "Enter a valid e-mail address."),
    ({"preferred_channel": "pigeon"}, "preferred_channel", "Choose one of: email, phone, wechat, visit."),
    ({"preferred_channel": "email"}, "preferred_channel", "E-mail is the preferred channel: add an e-mail address."),
    ({"preferred_channel": "phone"}, "preferred_channel", "Phone is the preferred channel: add a phone number."),
])
def test_invalid_contacts_name_the_field_and_save_nothing(people, fields, field, message):
    owner, customer = people["owner"], people["customer"]
    with pytest.raises(InvalidInput) as refused:
        contact_create(actor=owner, customer=customer, **{"name": "刘洋", **fields})
    assert refused.value.extra["fields"][field] == [message]
    assert not Contact.objects.filter(customer=customer).exists()
    assert not AuditEvent.objects.filter(event_type="crm.contact.created").exists()


def test_an_edit_records_what_changed_and_when_the_opt_out_was_set_and_cleared(people):
    # given a contact without preferences
    owner, customer = people["owner"], people["customer"]
    contact = contact_create(actor=owner, customer=customer, name="刘洋", email="liu.yang@example.cn")
    # when the account team member records that he prefers e-mail and opted out of marketing
    edited = contact_update(actor=people["team"], contact=contact, preferred_channel="email", marketing_opt_out=True,
                            title="采购总监")
    # then it is saved, the opt-out has its time, and the audit row names old and new values
    assert (edited.preferred_channel, edited.marketing_opt_out, edited.title) == ("email", True, "采购总监")
    assert edited.marketing_opt_out_at is not None
    event = _events("crm.contact.updated", contact)[-1]
    assert event.actor_id == people["team"].pk
    assert event.detail["changes"] == {"title": ["", "采购总监"], "preferred_channel": ["", "email"],
                                       "marketing_opt_out": [False, True]}
    # when the opt-out is cleared again, its time goes with it
    cleared = contact_update(actor=owner, contact=edited, marketing_opt_out=False)
    assert cleared.marketing_opt_out is False and cleared.marketing_opt_out_at is None
    # and an edit that changes nothing records nothing
    count = AuditEvent.objects.filter(event_type="crm.contact.updated").count()
    contact_update(actor=owner, contact=cleared, title="采购总监")
    assert AuditEvent.objects.filter(event_type="crm.contact.updated").count() == count


def test_making_a_contact_primary_demotes_the_previous_one(people):
    owner, customer = people["owner"], people["customer"]
    first = contact_create(actor=owner, customer=customer, name="刘洋", is_primary=True)
    second = contact_create(actor=owner, customer=customer, name="周敏")
    contact_update(actor=owner, contact=second, is_primary=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)


def test_an_edit_that_removes_the_address_of_the_preferred_channel_is_refused_whole(people):
    owner, customer = people["owner"], people["customer"]
    contact = contact_create(actor=owner, customer=customer, name="刘洋", email="liu.yang@example.cn",
                             preferred_channel="email")
    with pytest.raises(InvalidInput) as refused:
        contact_update(actor=owner, contact=contact, email="", title="新职位")
    assert "preferred_channel" in refused.value.extra["fields"]
    contact.refresh_from_db()
    assert (contact.email, contact.title) == ("liu.yang@example.cn", "")


@pytest.mark.parametrize("who", ["colleague", "outsider", "compliance"])
def test_only_whoever_may_change_the_customer_edits_its_contacts(people, who):
    owner, customer = people["owner"], people["customer"]
    contact = contact_create(actor=owner, customer=customer, name="刘洋")
    with pytest.raises(NotFound):
        contact_update(actor=people[who], contact=contact, marketing_opt_out=True)
    with pytest.raises(NotFound):
        contact_create(actor=people[who], customer=customer, name="周敏")
    contact.refresh_from_db()
    assert contact.marketing_opt_out is False
    assert Contact.objects.filter(customer=customer).count() == 1


def test_fields_a_contact_edit_does_not_change_are_refused(people):
    contact = contact_create(actor=people["owner"], customer=people["customer"], name="刘洋")
    with pytest.raises(InvalidInput):
        contact_update(actor=people["owner"], contact=contact, customer=people["customer"])


# --- who may create customers ----------------------------------------------------------------------------


def test_compliance_sees_every_customer_but_creates_none(people):
    with pytest.raises(NotFound):
        customer_create(actor=people["compliance"], name="Audit Test Co", region="上海")
    assert customer_create(actor=people["engineer"], name="Service Found Co", region="上海").owner == people["engineer"]


# --- the duplicate guard's read --------------------------------------------------------------------------


def test_the_guard_marks_visible_and_hidden_matches_and_which_block(people):
    # given the owner's customer (上海) and a customer of another rep's in 北京 with the same name
    customer = people["customer"]
    elsewhere = CustomerFactory(name=customer.name, region="北京", owner=people["outsider"])
    # when the owner's colleague types the name in 上海
    report = customer_duplicates_for(user=people["colleague"], name=customer.name.upper(), region="上海")
    # then the one in 上海 (visible through the department) blocks, the one in 北京 (not visible) does not
    by_pk = {match.customer.pk: match for match in report.matches}
    assert (by_pk[customer.pk].visible, by_pk[customer.pk].blocking) == (True, True)
    assert (by_pk[elsewhere.pk].visible, by_pk[elsewhere.pk].blocking) == (False, False)
    assert report.blocking and report.matches[0].customer == customer
    # when an outsider types the same code the owner's customer has: blocking, by code, not visible
    customer.code = "SH-HD"
    customer.save(update_fields=["code"])
    report = customer_duplicates_for(user=people["outsider"], name="Another name", region="", code="SH-HD")
    assert [(m.customer.pk, m.visible, m.blocking, m.by_code) for m in report.matches] == [
        (customer.pk, False, True, True)]
    # the customer being edited is not its own duplicate (only the one in 北京 is left, and it does not block)
    report = customer_duplicates_for(user=people["owner"], name=customer.name, region="上海", code="SH-HD",
                                     exclude_pk=customer.pk)
    assert [(m.customer.pk, m.blocking) for m in report.matches] == [(elsewhere.pk, False)]


def test_similar_names_are_only_the_visible_ones(people, django_assert_max_num_queries):
    # given a hidden customer whose name contains the text, and a visible one
    CustomerFactory(name="华东精密工具 East Tools", region="杭州", owner=people["outsider"])
    mine = CustomerFactory(name="华东精密电子", region="苏州", owner=people["owner"])
    # when the owner types part of a name: three queries at most, only visible similar names
    with django_assert_max_num_queries(3):
        report = customer_duplicates_for(user=people["owner"], name="华东精密", region="")
    assert not report.matches
    assert [c.pk for c in report.similar] == [mine.pk, people["customer"].pk]


# --- the API ---------------------------------------------------------------------------------------------


def test_the_api_takes_and_shows_contact_preferences(people):
    from tests.fixtures.clients import api_client

    customer = people["customer"]
    base = f"/api/crm/customers/{customer.pk}/contacts/"
    # given a contact added through the API with a preferred channel
    created = api_client(people["owner"]).post(base, {"name": "刘洋", "phone": "138 0000 0000",
                                                      "preferred_channel": "phone"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["preferred_channel"], body["marketing_opt_out"], body["marketing_opt_out_at"]) == ("phone", False, None)
    # when the account team member records the opt-out with a PATCH
    url = f"{base}{body['id']}/"
    patched = api_client(people["team"]).patch(url, {"marketing_opt_out": True}, format="json")
    # then it is saved with its time and audited; the list shows it
    assert patched.status_code == 200 and patched.json()["marketing_opt_out_at"]
    assert AuditEvent.objects.filter(event_type="crm.contact.updated", target_id=str(body["id"]),
                                     actor_id=people["team"].pk).exists()
    listed = api_client(people["colleague"]).get(base).json()
    assert [(c["name"], c["marketing_opt_out"]) for c in listed] == [("刘洋", True)]
    # a colleague who may only see the customer, and an outsider, get a 404; a bad channel is a 400 by field
    for who in ("colleague", "outsider"):
        assert api_client(people[who]).patch(url, {"title": "x"}, format="json").status_code == 404
    bad = api_client(people["owner"]).patch(url, {"preferred_channel": "pigeon"}, format="json")
    assert bad.status_code == 400 and "preferred_channel" in str(bad.json())
    # a contact addressed under another customer is not found
    other = CustomerFactory(name="别的客户", region="北京", owner=people["owner"])
    assert api_client(people["owner"]).patch(f"/api/crm/customers/{other.pk}/contacts/{body['id']}/",
                                             {"title": "x"}, format="json").status_code == 404


def test_the_blocking_duplicate_is_shown_however_many_share_the_name(people):
    # given six customers called "Bright Optics" in regions that sort before the one being typed
    for n in range(6):
        CustomerFactory(name="Bright Optics", region=f"A-{n}", owner=people["owner"])
    blocking = CustomerFactory(name="Bright Optics", region="Zhuhai", owner=people["outsider"])
    # when a rep types that name in Zhuhai: the blocking one comes first, among the five shown
    report = customer_duplicates_for(user=people["owner"], name="bright optics", region="Zhuhai")
    assert len(report.matches) == 5 and report.matches[0].customer == blocking
    assert (report.matches[0].blocking, report.matches[0].visible) == (True, False)
    # and none of the same-name ones is offered again as a "similar" name
    assert report.similar == []
