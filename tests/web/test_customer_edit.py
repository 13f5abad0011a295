"""Customers and contacts in the browser: create and edit, the live duplicate guard, contact preferences.
Permission matrix (no right -> 404, right -> 200/302, audit row present), messages in both languages, and
a hidden duplicate never shown beyond "it exists, ask its owner"."""

from __future__ import annotations

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import AccountTeamMember, Contact, Customer
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    """王芳 owns 上海精工 (李雷 on its team, 陈静 in her department); 张伟 owns 北京远航 (hidden from 王芳)."""
    east = factories.DepartmentFactory(code="sales-east", name="华东销售部 Sales East")
    north = factories.DepartmentFactory(code="sales-north", name="华北销售部 Sales North")
    make = factories.UserFactory
    people = {
        "rep": make(username="wang.fang", display_name="王芳", department=east),
        "colleague": make(username="chen.jing", display_name="陈静", department=east),
        "team": make(username="li.lei", display_name="李雷", department=north),
        "outsider": make(username="zhang.wei", display_name="张伟", department=north),
        "compliance": make(username="zhao.jing", display_name="赵静", role=Role.COMPLIANCE),
        "admin": make(username="wu.lei", display_name="吴磊", role=Role.ADMIN),
    }
    people["customer"] = CustomerFactory(name="上海精工机械有限公司", region="上海", code="SH-JG", owner=people["rep"],
                                         industry="机床 Machine tools")
    people["hidden"] = CustomerFactory(name="北京远航科技", region="北京", code="BJ-YH", owner=people["outsider"],
                                       tier="key", status="active", industry="软件 Software")
    AccountTeamMember.objects.create(customer=people["customer"], user=people["team"], role="co-seller")
    return people


def _customer_data(**changes) -> dict:
    return {"name": "杭州新材料有限公司", "region": "杭州", "code": "", "industry": "材料 Materials", "tier": "normal",
            "status": "prospect", **changes}


def _contact_data(**changes) -> dict:
    return {"name": "刘洋", "title": "采购经理", "email": "liu.yang@example.cn", "phone": "", "preferred_channel": "",
            **changes}


# --- create -----------------------------------------------------------------------------------------------


def test_a_rep_creates_a_customer_and_owns_it(cast):
    # given 王芳 on the customers list: it offers "New customer"
    rep = cast["rep"]
    assert b'data-testid="customer-new"' in client_for(rep).get("/customers/").content
    assert client_for(rep).get("/customers/new/").status_code == 200
    # when she creates a key account
    response = client_for(rep).post("/customers/new/", _customer_data(tier="key", status="active"))
    # then it is hers, she lands on its page, and the creation is audited
    customer = Customer.objects.get(name="杭州新材料有限公司")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.owner, customer.tier, customer.status, customer.code) == (rep, "key", "active", None)
    event = AuditEvent.objects.get(event_type="crm.customer.created", target_id=str(customer.pk))
    assert event.actor_id == rep.pk


def test_compliance_may_not_create_customers(cast):
    client = client_for(cast["compliance"])
    assert b'data-testid="customer-new"' not in client.get("/customers/").content
    assert client.get("/customers/new/").status_code == 404
    assert client.post("/customers/new/", _customer_data()).status_code == 404
    assert client.get("/customers/duplicates/?name=x").status_code == 404
    assert not Customer.objects.filter(name="杭州新材料有限公司").exists()


def test_anonymous_is_sent_to_sign_in(cast):
    from django.test import Client

    response = Client().get("/customers/new/")
    assert response.status_code == 302 and "/signin/" in response["Location"]


@pytest.mark.parametrize("language, message", [("en", "A name is required."), ("zh-hans", "名称为必填项。")])
def test_a_missing_name_is_shown_by_the_field_in_the_readers_language(cast, language, message):
    response = client_for(cast["rep"], language).post("/customers/new/", _customer_data(name="  "))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Customer.objects.filter(region="杭州").exists()


# --- the duplicate guard ----------------------------------------------------------------------------------


def test_the_guard_names_a_visible_duplicate_and_its_owner(cast):
    # given 陈静, who sees 王芳's customer through the department
    client = client_for(cast["colleague"])
    # when she types its name in another case and the same region
    page = client.get("/customers/duplicates/", {"name": "上海精工机械有限公司", "region": "上海"}).content.decode()
    # then the guard names it, its owner, and links to it; saving would be refused
    assert 'data-testid="duplicate-visible" data-blocking="true"' in page
    assert "上海精工机械有限公司" in page and "王芳" in page and f'href="/customers/{cast["customer"].pk}/"' in page
    # and with the same name in another region it still says so, but does not block
    page = client.get("/customers/duplicates/", {"name": "上海精工机械有限公司", "region": "苏州"}).content.decode()
    assert 'data-blocking="false"' in page and "another region" in page


@pytest.mark.parametrize("language, exists, ask", [
    ("en", "A customer called “北京远航科技” already exists, and you cannot see it.", "Ask 张伟 to add you"),
    ("zh-hans", "已有名为“北京远航科技”的客户，但您无权查看。", "请联系 张伟"),
])
def test_a_hidden_duplicate_says_only_that_it_exists_and_whom_to_ask(cast, language, exists, ask):
    # given 王芳, who may not see 张伟's 北京远航科技
    client = client_for(cast["rep"], language)
    hidden = cast["hidden"]
    # when she types its name (and another time its code)
    page = client.get("/customers/duplicates/", {"name": "北京远航科技", "region": "北京"}).content.decode()
    by_code = client.get("/customers/duplicates/", {"name": "别的名字", "code": "BJ-YH"}).content.decode()
    # then she is told it exists and whom to ask, and nothing else: no link, region, code, tier or industry
    assert 'data-testid="duplicate-hidden"' in page and exists in page and ask in page
    assert 'data-testid="duplicate-hidden"' in by_code and "张伟" in by_code
    for detail in (f"/customers/{hidden.pk}/", "BJ-YH", "软件", "Key account", "重点客户"):
        assert detail not in page and detail not in by_code
    assert "/customers/" not in by_code


def test_similar_names_list_only_visible_customers(cast):
    page = client_for(cast["rep"]).get("/customers/duplicates/", {"name": "精工"}).content.decode()
    assert 'data-testid="duplicate-similar"' in page and "上海精工机械有限公司" in page
    page = client_for(cast["rep"]).get("/customers/duplicates/", {"name": "远航"}).content.decode()
    assert "北京远航科技" not in page and "duplicate-similar" not in page


def test_saving_a_hidden_duplicate_is_refused_without_its_details(cast):
    # when 王芳 submits the hidden customer's name and region anyway
    response = client_for(cast["rep"]).post("/customers/new/", _customer_data(name="北京远航科技", region="北京"))
    # then nothing is saved, and the page says it exists and whom to ask, not since when or its details
    page = response.content.decode()
    assert response.status_code == 409
    assert Customer.objects.filter(name="北京远航科技").count() == 1
    assert "Not saved: this customer already exists" in page and "张伟" in page
    assert f"/customers/{cast['hidden'].pk}/" not in page and "BJ-YH" not in page and "since" not in page


# --- edit -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["colleague", "outsider", "compliance"])
def test_only_whoever_may_change_a_customer_edits_it(cast, who):
    customer = cast["customer"]
    client = client_for(cast[who])
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 404
    assert client.post(f"/customers/{customer.pk}/edit/", _customer_data(name="Hacked")).status_code == 404
    customer.refresh_from_db()
    assert customer.name == "上海精工机械有限公司"


@pytest.mark.parametrize("who", ["rep", "team", "admin"])
def test_owner_team_and_admin_edit_tier_status_industry_and_region(cast, who):
    customer = cast["customer"]
    client = client_for(cast[who])
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="customer-edit"' in page and 'data-testid="contact-new"' in page
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 200
    response = client.post(f"/customers/{customer.pk}/edit/", _customer_data(
        name="上海精工机械有限公司", region="上海", code="", industry="机床", tier="key", status="dormant"))
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert (customer.tier, customer.status, customer.industry, customer.code) == ("key", "dormant", "机床", None)
    event = AuditEvent.objects.filter(event_type="crm.customer.updated", target_id=str(customer.pk)).get()
    assert event.actor_id == cast[who].pk and event.detail["changes"]["tier"] == ["normal", "key"]


def test_the_colleague_sees_no_edit_buttons(cast):
    page = client_for(cast["colleague"]).get(f"/customers/{cast['customer'].pk}/").content.decode()
    assert 'data-testid="customer-edit"' not in page and 'data-testid="contact-new"' not in page


def test_renaming_onto_another_customer_is_refused(cast):
    other = CustomerFactory(name="苏州精工", region="苏州", owner=cast["rep"])
    response = client_for(cast["rep"]).post(f"/customers/{cast['customer'].pk}/edit/",
                                            _customer_data(name="苏州精工", region="苏州"))
    assert response.status_code == 409
    assert 'data-testid="duplicate-visible"' in response.content.decode()
    assert Customer.objects.get(pk=cast["customer"].pk).name == "上海精工机械有限公司"
    assert other.name == "苏州精工"


# --- contacts ---------------------------------------------------------------------------------------------


def test_the_team_adds_a_contact_with_preferences_and_the_page_shows_them(cast):
    customer = cast["customer"]
    client = client_for(cast["team"])
    assert client.get(f"/customers/{customer.pk}/contacts/new/").status_code == 200
    response = client.post(f"/customers/{customer.pk}/contacts/new/",
                           _contact_data(preferred_channel="email", marketing_opt_out="on", is_primary="on"))
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/#contacts"
    contact = Contact.objects.get(customer=customer)
    assert (contact.preferred_channel, contact.marketing_opt_out, contact.is_primary) == ("email", True, True)
    assert AuditEvent.objects.filter(event_type="crm.contact.created", target_id=str(contact.pk),
                                     actor_id=cast["team"].pk).exists()
    page = client_for(cast["rep"], "zh-hans").get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="no-marketing"' in page and "不接收营销" in page and "首选联系方式：邮件" in page


def test_a_contact_is_edited_and_the_change_audited(cast):
    customer = cast["customer"]
    contact = Contact.objects.create(customer=customer, name="刘洋", email="liu.yang@example.cn")
    client = client_for(cast["rep"])
    assert client.get(f"/customers/{customer.pk}/contacts/{contact.pk}/edit/").status_code == 200
    response = client.post(f"/customers/{customer.pk}/contacts/{contact.pk}/edit/",
                           _contact_data(phone="138 0000 0000", preferred_channel="phone", marketing_opt_out="on"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.phone, contact.preferred_channel, contact.marketing_opt_out) == ("138 0000 0000", "phone", True)
    event = AuditEvent.objects.get(event_type="crm.contact.updated", target_id=str(contact.pk))
    assert event.detail["changes"]["marketing_opt_out"] == [False, True]


@pytest.mark.parametrize("language, message", [
    ("en", "E-mail is the preferred channel: add an e-mail address."),
    ("zh-hans", "首选渠道为电子邮件：请填写电子邮件地址。"),
])
def test_a_preferred_channel_without_its_address_is_refused_by_its_field(cast, language, message):
    customer = cast["customer"]
    response = client_for(cast["rep"], language).post(
        f"/customers/{customer.pk}/contacts/new/", _contact_data(email="", preferred_channel="email"))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Contact.objects.filter(customer=customer).exists()


@pytest.mark.parametrize("who", ["colleague", "outsider", "compliance"])
def test_only_whoever_may_change_the_customer_adds_or_edits_contacts(cast, who):
    customer = cast["customer"]
    contact = Contact.objects.create(customer=customer, name="刘洋")
    client = client_for(cast[who])
    assert client.get(f"/customers/{customer.pk}/contacts/new/").status_code == 404
    assert client.post(f"/customers/{customer.pk}/contacts/new/", _contact_data(name="周敏")).status_code == 404
    assert client.get(f"/customers/{customer.pk}/contacts/{contact.pk}/edit/").status_code == 404
    assert client.post(f"/customers/{customer.pk}/contacts/{contact.pk}/edit/",
                       _contact_data(marketing_opt_out="on")).status_code == 404
    assert list(Contact.objects.filter(customer=customer).values_list("name", "marketing_opt_out")) == [("刘洋", False)]


def test_a_contact_is_reached_only_through_its_own_customer(cast):
    # a contact of 张伟's customer, addressed under 王芳's customer: 404
    theirs = Contact.objects.create(customer=cast["hidden"], name="马丽")
    client = client_for(cast["rep"])
    assert client.get(f"/customers/{cast['customer'].pk}/contacts/{theirs.pk}/edit/").status_code == 404
    assert client.get(f"/customers/{cast['hidden'].pk}/contacts/{theirs.pk}/edit/").status_code == 404


def test_the_guard_costs_a_fixed_number_of_queries(cast, django_assert_num_queries):
    # given more customers with the typed name and similar names than the guard shows
    for n in range(8):
        CustomerFactory(name=f"精工 {n}", region=f"地区{n}", owner=cast["rep" if n % 2 else "outsider"])
        CustomerFactory(name="上海精工机械有限公司", region=f"别处{n}", owner=cast["colleague"])
    client = client_for(cast["rep"])
    client.get("/customers/duplicates/", {"name": "x"})  # the session and the user are loaded once per request
    # when she types a name: session, user, matches, which of them she sees, similar names
    with django_assert_num_queries(5):
        page = client.get("/customers/duplicates/", {"name": "上海精工机械有限公司", "region": "上海", "code": "SH-JG"})
    assert page.status_code == 200 and page.content.decode().count("warning-box") == 5


def test_telling_a_rep_that_a_hidden_customer_exists_is_audited(cast):
    # given 王芳, who may not see 张伟's 北京远航科技
    client = client_for(cast["rep"])
    # when the guard answers a name she may see, nothing is recorded
    client.get("/customers/duplicates/", {"name": "上海精工机械有限公司", "region": "上海"})
    assert not AuditEvent.objects.filter(event_type="crm.customer.duplicate_disclosed").exists()
    # when it tells her the hidden one exists (as she types, and again when a save is refused)
    client.get("/customers/duplicates/", {"name": "北京远航科技", "region": "北京"})
    client.post("/customers/new/", _customer_data(name="北京远航科技", region="北京"))
    # then each disclosure is in the trail: who learned of which customer, from what they typed
    events = list(AuditEvent.objects.filter(event_type="crm.customer.duplicate_disclosed").order_by("id"))
    assert [(e.actor_id, e.target_id, e.customer_id) for e in events] == [
        (cast["rep"].pk, str(cast["hidden"].pk), cast["hidden"].pk)] * 2
    assert events[0].detail["typed_name"] == "北京远航科技" and events[0].detail["owner"] == "zhang.wei"
