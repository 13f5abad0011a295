"""The pickers (`GET /pick/<kind>/?q=`): JSON rows the signed-in staff user may see, found by part of a
Chinese or English name; never a row the user may not see; 404 for unknown kinds and portal users."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.access.services import document_permission_grant
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def _pick(user, kind: str, q: str) -> list[dict]:
    response = client_for(user).get(f"/pick/{kind}/", {"q": q})
    assert response.status_code == 200, (kind, q, response.status_code)
    assert response["Content-Type"].startswith("application/json")
    return response.json()["results"]


def _ids(user, kind: str, q: str) -> set[int]:
    return {row["id"] for row in _pick(user, kind, q)}


def test_a_colleague_is_found_by_part_of_their_chinese_or_english_name(world):
    # given 王芳 (wang.fang) and 陈静 (chen.jing); when the rep types part of a name in either script
    assert _ids(world.colleague, "user", "芳") == {world.rep.pk}
    assert _ids(world.colleague, "user", "王芳") == {world.rep.pk}
    assert _ids(world.colleague, "user", "wang") == {world.rep.pk}
    assert _ids(world.rep, "user", "CHEN") == {world.colleague.pk}
    # then the row reads as a person: name, login, role and department
    row = _pick(world.rep, "user", "陈")[0]
    assert row == {"id": world.colleague.pk, "label": "陈静 (chen.jing)", "detail": "Sales · 华东销售部 Sales East"}


def test_a_user_is_found_by_first_and_last_name_in_either_order(world):
    # given a colleague whose first and last names are set
    world.engineer.first_name, world.engineer.last_name = "Fang", "Wang"
    world.engineer.display_name = ""
    world.engineer.save()
    assert world.engineer.pk in _ids(world.rep, "user", "Fang Wang")
    assert world.engineer.pk in _ids(world.rep, "user", "wang fang")
    assert world.engineer.pk in _ids(world.rep, "user", "WangFang")


def test_the_user_picker_never_offers_portal_users_or_disabled_staff(world):
    # given a portal contact named like a colleague and a disabled member of staff
    contact = portal_user(world.customer, name="王芳芳", email="fangfang@example.com")
    world.outsider.is_active = False
    world.outsider.save()
    # when the rep looks for them; then neither is offered
    found = _ids(world.rep, "user", "芳")
    assert contact.pk not in found and found == {world.rep.pk}
    assert _ids(world.rep, "user", "zhang") == set()


def test_groups_are_found_by_department_name_in_either_language(world):
    east = world.rep.department
    assert _ids(world.rep, "group", "华东") == {east.group_id}
    assert _ids(world.rep, "group", "sales east") == {east.group_id}
    assert _pick(world.rep, "group", "华东")[0]["label"] == "华东销售部 Sales East"


def test_customers_are_found_by_name_or_code_but_only_those_the_user_may_see(world):
    # the rep owns 上海精工 and cannot see 北京远航 (the outsider's)
    assert _ids(world.rep, "customer", "精工") == {world.customer.pk}
    assert _ids(world.rep, "customer", "sh-jg") == {world.customer.pk}
    assert _ids(world.rep, "customer", "北京") == set()
    assert _ids(world.rep, "customer", f"#{world.other_customer.pk}") == set()
    # the outsider sees his own and not the rep's
    assert _ids(world.outsider, "customer", "北京远航") == {world.other_customer.pk}
    assert _ids(world.outsider, "customer", "精工") == set()


def test_quotes_orders_opportunities_and_service_records_follow_the_customer_rules(world):
    assert _ids(world.rep, "quote", "Q-2026") == {world.accepted_quote.pk, world.open_quote.pk}
    assert _ids(world.rep, "quote", "0001") == {world.accepted_quote.pk}
    assert _ids(world.rep, "order", "so-2026") == {world.order.pk}
    assert _ids(world.rep, "opportunity", "车床") == {world.opportunity.pk}
    assert _ids(world.rep, "service_record", "spindle") == {world.record.pk}
    assert _ids(world.rep, "service_record", "异响") == {world.record.pk}
    # a rep with no relationship to the customer finds none of it, not even by number or id
    for kind, q in [("quote", "Q-2026"), ("order", "SO-2026"), ("opportunity", "车床"),
                    ("service_record", "主轴"), ("quote", f"#{world.accepted_quote.pk}")]:
        assert _ids(world.outsider, kind, q) == set(), (kind, q)


def test_documents_are_found_by_title_but_never_one_the_user_may_not_see(world):
    # the colleague sees the internal quote document, not the confidential contract or the secret minutes
    assert _ids(world.colleague, "document", "报价单") == {world.quote_doc.pk}
    assert _ids(world.colleague, "document", "supply contract") == set()
    assert _ids(world.colleague, "document", f"#{world.contract.pk}") == set()
    assert _ids(world.rep, "document", f"#{world.contract.pk}") == {world.contract.pk}
    assert _ids(world.rep, "document", "board minutes") == set()
    assert _ids(world.rep, "document", "上海精工") == {world.quote_doc.pk, world.contract.pk}
    # a grant opens the secret one
    document_permission_grant(actor=world.admin, document=world.secret_doc, level="view", user=world.rep)
    assert _ids(world.rep, "document", "董事会") == {world.secret_doc.pk}


def test_empty_query_is_an_empty_list_and_results_are_bounded(world):
    assert _pick(world.rep, "user", "") == []
    assert _pick(world.rep, "customer", "   ") == []
    from tests import factories

    for n in range(25):
        factories.UserFactory(username=f"many.{n:02d}", display_name=f"多多 {n}")
    assert len(_pick(world.rep, "user", "多多")) == 20


def test_unknown_kind_is_404_anonymous_goes_to_sign_in_portal_users_get_404(world):
    assert client_for(world.rep).get("/pick/invoice/", {"q": "x"}).status_code == 404
    anonymous = Client().get("/pick/user/", {"q": "wang"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/signin/?next=")
    contact = portal_user(world.customer)
    for kind in ("user", "customer", "document"):
        assert client_for(contact).get(f"/pick/{kind}/", {"q": "a"}).status_code == 404


def test_names_that_start_with_the_text_come_first_so_the_one_typed_is_never_cut_off(world):
    from tests import factories

    # given 25 people whose logins merely contain "li" and sort before li.lei
    for n in range(25):
        factories.UserFactory(username=f"a{n:02d}.li", display_name=f"A{n:02d} Li")
    # when the rep types "li"; then 李雷 (li.lei), whose login starts with it, is the first row, not left out
    rows = _pick(world.rep, "user", "li")
    assert len(rows) == 20 and rows[0]["id"] == world.team.pk


def test_documents_come_newest_first_so_a_common_word_walks_the_created_index(world):
    import datetime as dt

    from backend.documents.models import Document
    from tests import factories

    # given two of the rep's documents with the same word; the older one was edited since the newer one came
    older = factories.document(world.rep, title="Pump manual v1", content=b"%PDF-1.4 older")
    newer = factories.document(world.rep, title="Pump manual v2", content=b"%PDF-1.4 newer")
    Document.objects.filter(pk=older.pk).update(created_at=newer.created_at - dt.timedelta(days=30),
                                                updated_at=newer.created_at + dt.timedelta(days=1))
    # when the rep types the word; then the newest document comes first (bench/pages.py: at 100,000
    # documents ordering by the last change sorted every match)
    assert [row["id"] for row in _pick(world.rep, "document", "Pump manual")] == [newer.pk, older.pk]
