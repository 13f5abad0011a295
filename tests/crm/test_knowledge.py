"""Knowledge articles: drafts, edits, publishing, who sees what, audit, query counts."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import ArticleStatus, KnowledgeArticle
from backend.crm.services import knowledge as services
from tests.crm.factories import ArticleFactory, ProductFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db


def test_any_staff_member_drafts_an_article_and_it_is_audited(people):
    # given a product
    product = ProductFactory(code="QH-CK6150")

    # when a sales rep drafts an article about it for the portal
    response = api_client(people["owner"]).post("/api/crm/articles/", {
        "title": "如何校准刀塔 Calibrating the turret", "body": "1. Home the turret.", "product": product.pk,
        "visibility": "portal",
    }, format="json")

    # then it is a draft by them, and the event is recorded
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["visibility"], body["author"]["id"]) == ("draft", "portal", people["owner"].pk)
    assert body["product"]["code"] == "QH-CK6150" and body["published_at"] is None
    assert AuditEvent.objects.filter(event_type="crm.article.created", target_id=str(body["id"]),
                                     actor=people["owner"]).exists()


@pytest.mark.parametrize("payload,field", [
    ({"title": " ", "body": "x"}, "title"),
    ({"title": "x", "body": "  "}, "body"),
    ({"title": "x", "body": "y", "visibility": "public"}, "visibility"),
    ({"title": "x", "body": "y", "product": 999999}, "product"),
])
def test_bad_articles_are_400_on_the_field(people, payload, field):
    response = api_client(people["owner"]).post("/api/crm/articles/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not KnowledgeArticle.objects.exists()


def test_a_draft_is_seen_by_its_author_and_service_staff_and_a_published_one_by_everyone(people):
    # given a draft by the owner
    article = services.article_create(actor=people["owner"], title="Coolant pressure", body="Check the filter.")
    url = f"/api/crm/articles/{article.pk}/"

    # when others look before and after it is published
    before = {who: api_client(people[who]).get(url).status_code for who in ("owner", "engineer", "admin", "outsider")}
    services.article_publish(actor=people["engineer"], article=article)
    after = {who: api_client(people[who]).get(url).status_code for who in ("outsider", "compliance", "colleague")}

    # then the draft is hidden from the unrelated rep (404) and the published article is visible to all staff
    assert before == {"owner": 200, "engineer": 200, "admin": 200, "outsider": 404}
    assert after == {"outsider": 200, "compliance": 200, "colleague": 200}


def test_the_author_edits_and_the_change_is_audited(people):
    # given a draft
    article = services.article_create(actor=people["owner"], title="Old", body="Old body")
    product = ProductFactory()

    # when the author changes its title, product and visibility
    response = api_client(people["owner"]).patch(f"/api/crm/articles/{article.pk}/", {
        "title": "新标题 New title", "product": product.pk, "visibility": "portal"}, format="json")

    # then the article changed and the event lists what changed
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["product"]["id"], body["visibility"]) == ("新标题 New title", product.pk, "portal")
    event = AuditEvent.objects.get(event_type="crm.article.updated", target_id=str(article.pk))
    assert event.detail["changed"] == ["product", "title", "visibility"]


def test_clearing_the_product_and_bad_edits(people):
    article = services.article_create(actor=people["owner"], title="T", body="B", product=ProductFactory())
    client = api_client(people["owner"])
    cleared = client.patch(f"/api/crm/articles/{article.pk}/", {"product": None}, format="json")
    blank = client.patch(f"/api/crm/articles/{article.pk}/", {"body": " "}, format="json")
    assert cleared.status_code == 200 and cleared.json()["product"] is None
    assert blank.status_code == 400 and "body" in blank.json()["fields"]


def test_a_published_article_is_read_by_everyone_but_changed_only_by_its_author_and_service_staff(people):
    # given a published article by the owner
    article = services.article_create(actor=people["owner"], title="T", body="B")
    services.article_publish(actor=people["owner"], article=article)

    # when an unrelated rep tries to edit it, and a service engineer does
    refused = api_client(people["outsider"]).patch(f"/api/crm/articles/{article.pk}/", {"body": "hacked"},
                                                   format="json")
    edited = api_client(people["engineer"]).patch(f"/api/crm/articles/{article.pk}/", {"body": "Better"},
                                                  format="json")

    # then the rep gets 404 (audited as denied), the engineer's edit lands and it stays published
    assert refused.status_code == 404
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=people["outsider"],
                                     target_id=str(article.pk)).exists()
    assert edited.status_code == 200 and edited.json()["status"] == "published" and edited.json()["body"] == "Better"


def test_publishing_moves_a_draft_once_and_is_audited(people):
    # given a draft
    article = services.article_create(actor=people["owner"], title="T", body="B", visibility="portal")
    client = api_client(people["owner"])

    # when it is published twice
    first = client.post(f"/api/crm/articles/{article.pk}/publish/")
    second = client.post(f"/api/crm/articles/{article.pk}/publish/")

    # then the first publishes (stamped, audited), the second is 400 naming the state
    assert first.status_code == 200 and first.json()["status"] == "published" and first.json()["published_at"]
    assert second.status_code == 400 and second.json()["current"] == "published"
    assert AuditEvent.objects.filter(event_type="crm.article.published", target_id=str(article.pk)).count() == 1


@pytest.mark.parametrize("who", ["outsider", "colleague", "compliance"])
def test_others_cannot_publish_someone_elses_draft(people, who):
    article = services.article_create(actor=people["owner"], title="T", body="B")
    response = api_client(people[who]).post(f"/api/crm/articles/{article.pk}/publish/")
    missing = api_client(people[who]).post(f"/api/crm/articles/{article.pk + 10_000}/publish/")
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert KnowledgeArticle.objects.get(pk=article.pk).status == ArticleStatus.DRAFT


@pytest.fixture
def library(people):
    product = ProductFactory(code="QH-HMC630")
    published = [ArticleFactory(author=people["engineer"], status="published", product=product,
                                title=f"主轴 spindle tip {n}") for n in range(4)]
    portal = [ArticleFactory(author=people["engineer"], status="published", visibility="portal") for _ in range(2)]
    drafts = [ArticleFactory(author=people["engineer"]) for _ in range(3)]
    return product, published, portal, drafts


def test_the_list_shows_readable_articles_and_filters(people, library):
    product, published, portal, drafts = library
    rep = api_client(people["outsider"])
    seen = rep.get("/api/crm/articles/?page_size=100").json()["results"]
    by_product = rep.get(f"/api/crm/articles/?product={product.pk}").json()["results"]
    by_text = rep.get("/api/crm/articles/?q=主轴").json()["results"]
    on_portal = rep.get("/api/crm/articles/?visibility=portal").json()["results"]
    all_drafts = api_client(people["engineer"]).get("/api/crm/articles/?status=draft").json()["results"]
    bad = rep.get("/api/crm/articles/?status=archived")
    assert {a["id"] for a in seen} == {a.pk for a in published + portal}
    assert {a["id"] for a in by_product} == {a.pk for a in published} == {a["id"] for a in by_text}
    assert {a["id"] for a in on_portal} == {a.pk for a in portal}
    assert {a["id"] for a in all_drafts} == {a.pk for a in drafts}
    assert bad.status_code == 400


@pytest.mark.parametrize("page_size", [2, 5])
def test_the_list_costs_the_same_queries_whatever_the_page_size(people, library, page_size,
                                                                django_assert_num_queries):
    client = api_client(people["outsider"])
    with django_assert_num_queries(3):  # session, user, the page with product and author joined
        response = client.get(f"/api/crm/articles/?page_size={page_size}")
    assert response.status_code == 200 and len(response.json()["results"]) == page_size
