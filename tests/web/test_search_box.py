"""The header's one search box (grouped suggestions), the search page's groups and explanations, and
saved searches: only what the user may see, and only one's own saved searches."""

from __future__ import annotations

import pytest
from django.test import Client

from indexing.models import SavedSearch
from tests import factories
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def _groups(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    return {group["kind"]: [row["label"] for row in group["rows"]] for group in response.json()["groups"]}


def test_the_box_groups_customers_quotes_orders_and_documents_the_user_may_see(world):
    rep = client_for(world.users["rep"])

    assert "上海精工机械有限公司" in _groups(rep.get("/search/suggest/", {"q": "精工"}))["customers"]
    assert "报价单 Q-2026-0001 上海精工" in _groups(rep.get("/search/suggest/", {"q": "精工"}))["documents"]
    by_number = _groups(rep.get("/search/suggest/", {"q": "2026-0001"}))
    assert by_number["quotes"] == ["Q-2026-0001"]
    assert by_number["orders"] == ["SO-2026-0001"]
    first = rep.get("/search/suggest/", {"q": "SO-2026"}).json()["groups"][0]["rows"][0]
    assert first["url"] == f"/customers/{world.customer.pk}/#orders"


def test_a_hidden_customer_or_quote_never_appears(world):
    outsider = client_for(world.users["outsider"])

    # the outsider sees their own customer, never the rep's customer, its quotes, orders or documents
    assert _groups(outsider.get("/search/suggest/", {"q": "北京远航"}))["customers"] == ["北京远航科技"]
    assert _groups(outsider.get("/search/suggest/", {"q": "精工"})) == {}
    assert _groups(outsider.get("/search/suggest/", {"q": "Q-2026"})) == {}
    page = outsider.get("/search/", {"q": "Q-2026-0001"})
    assert page.status_code == 200 and 'data-testid="search-groups"' not in page.content.decode()


def test_the_full_search_page_shows_the_groups_and_what_the_query_matched(world):
    page = client_for(world.users["rep"]).get("/search/", {"q": "精"})

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="search-groups"' in html and "上海精工机械有限公司" in html
    assert "matched wherever the character stands" in html
    assert "报价单 Q-2026-0001" in html  # a single Han character finds documents with it inside a word
    assert "Owner" in html and "Uploaded by" in html


def test_a_portal_user_gets_404_and_anonymous_is_sent_to_sign_in(world):
    portal = client_for(portal_user(world.customer, email="li.na@example.com"))

    assert portal.get("/search/suggest/", {"q": "精工"}).status_code == 404
    assert Client().get("/search/suggest/", {"q": "精工"}).status_code == 302


def test_saved_searches_are_saved_listed_run_and_deleted_by_their_owner(world):
    rep = client_for(world.users["rep"])

    response = rep.post("/search/saved/", {"name": "My quotes", "params": "q=报价&kind=quote&page=3"})
    assert response.status_code == 302
    saved = SavedSearch.objects.get(owner=world.users["rep"])
    assert saved.params == "q=%E6%8A%A5%E4%BB%B7&kind=quote"  # without the page
    page = rep.get("/search/").content.decode()
    assert "My quotes" in page and f"/search/?{saved.params}" in page.replace("&amp;", "&")

    assert rep.post(f"/search/saved/{saved.pk}/delete/").status_code == 302
    assert not SavedSearch.objects.exists()


def test_another_users_saved_searches_are_invisible_and_404(world):
    saved = SavedSearch.objects.create(owner=world.users["rep"], name="Rep's secret search", params="q=x")
    colleague = client_for(world.users["colleague"])

    assert "Rep's secret search" not in colleague.get("/search/").content.decode()
    assert colleague.post(f"/search/saved/{saved.pk}/delete/").status_code == 404
    assert SavedSearch.objects.filter(pk=saved.pk).exists()


def test_saving_without_a_name_says_so(world):
    rep = client_for(world.users["rep"])

    response = rep.post("/search/saved/", {"name": " ", "params": "q=x"}, follow=True)

    assert "Give the search a name." in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_contacts_opportunities_and_articles_are_grouped_too(world, django_capture_on_commit_callbacks):
    from backend.crm.models import Contact
    from backend.crm.services.knowledge import article_create, article_publish

    Contact.objects.create(customer=world.customer, name="刘洋 Liu Yang", email="liu.yang@jinggong.example")
    with django_capture_on_commit_callbacks(execute=True):
        article = article_create(actor=world.users["rep"], title="Spindle bearings: replacing them", body="主轴轴承更换步骤")
        article_publish(actor=world.users["rep"], article=article)
    rep = client_for(world.users["rep"])

    assert _groups(rep.get("/search/suggest/", {"q": "liu.yang"}))["contacts"] == ["刘洋 Liu Yang"]
    assert _groups(rep.get("/search/suggest/", {"q": "CNC 车床"}))["opportunities"] == ["CNC 车床 10 台"]
    # articles through the engine, stemmed: "bearing" finds "bearings"
    assert _groups(rep.get("/search/suggest/", {"q": "bearing"}))["articles"] == ["Spindle bearings: replacing them"]
    # and the outsider, who may not see the customer, finds neither its contact nor its deal
    outsider = client_for(world.users["outsider"])
    assert "contacts" not in _groups(outsider.get("/search/suggest/", {"q": "liu.yang"}))
    assert "opportunities" not in _groups(outsider.get("/search/suggest/", {"q": "CNC 车床"}))


def test_quote_and_order_numbers_are_looked_up_from_three_characters(world):
    rep = client_for(world.users["rep"])

    assert "quotes" not in _groups(rep.get("/search/suggest/", {"q": "Q-"}))
    assert "orders" not in _groups(rep.get("/search/suggest/", {"q": "SO"}))
    assert "Q-2026-0001" in _groups(rep.get("/search/suggest/", {"q": "Q-2"}))["quotes"]
