"""The knowledge base in the search engine: portal articles found in Chinese and English, trimmed to the customer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.access.policy import user_principals
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.sharing.models import PortalAccount
from indexing.engine import article_search_backend
from backend.common.errors import NotFound
from backend.crm.models import ArticleVisibility, KnowledgeArticle
from backend.crm.services.knowledge import (
    article_audience_set,
    article_create,
    article_publish,
    article_read,
    article_update,
)
from indexing import query
from indexing.articles import article_search, articles_reindex
from indexing.backends import InvalidSearch, SearchRequest, collection_url
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

SPINDLE = ("主轴轴承更换指南 Spindle bearing replacement",
           "更换主轴轴承之前，请先断电。Switch the lathe off before replacing the spindle bearing.")
COOLANT = ("冷却液保养 Coolant maintenance", "每月检查冷却液浓度。Check the coolant concentration monthly.")
PRICING = ("内部定价 Internal pricing", "主轴 discounts for distributors only.")


@pytest.fixture
def world(committed):
    author = factories.UserFactory(username="author", role=Role.SERVICE)
    a = CustomerFactory(name="Alpha")
    b = CustomerFactory(name="Beta")

    def published(title, body, visibility=ArticleVisibility.PORTAL, audience=()):
        with committed():
            article = article_create(actor=author, title=title, body=body, visibility=visibility)
            if audience:
                article_audience_set(actor=author, article=article, customers=audience)
            return article_publish(actor=author, article=article)

    articles = {
        "spindle": published(*SPINDLE),
        "coolant_b": published(*COOLANT, audience=[b]),
        "pricing": published(*PRICING, visibility=ArticleVisibility.INTERNAL),
    }
    with committed():
        articles["draft"] = article_create(actor=author, title="主轴 draft 草稿", body="Spindle notes in progress.",
                                           visibility=ArticleVisibility.PORTAL)
    return {"author": author, "a": a, "b": b, "alice": portal_user(a, name="Alice"),
            "bob": portal_user(b, name="Bob"), "articles": articles}


def found(user, q) -> list[int]:
    return [hit.article.pk for hit in article_search(user=user, q=q).results]


def engine_ids(user, q) -> set[int]:
    """What the engine itself returns for `user` (before the database re-check)."""
    request = SearchRequest(query=query.parse(q), principals=tuple(user_principals(user)), limit=50)
    return {hit.document_id for hit in article_search_backend().search(request).hits}


@pytest.mark.parametrize("q", ["主轴", "轴承", "spindle", "Bearing", "replacing"])
def test_chinese_and_english_queries_find_a_portal_article(world, q):
    # given a published portal article about spindle bearings, in Chinese and English
    # when Alice (customer A) searches in either language / then she finds it, with the match marked in the title
    page = article_search(user=world["alice"], q=q)
    assert [hit.article.pk for hit in page.results] == [world["articles"]["spindle"].pk]
    assert page.total == 1
    assert "<mark>" in page.results[0].title_html or "<mark>" in (page.results[0].snippet or "")


def test_results_are_trimmed_to_the_customers_audience(world):
    arts = world["articles"]
    # an article addressed to customer B only: Bob finds it, Alice does not (not even in the engine)
    assert found(world["bob"], "冷却液") == [arts["coolant_b"].pk]
    assert found(world["alice"], "冷却液") == []
    assert arts["coolant_b"].pk not in engine_ids(world["alice"], "coolant")
    # an internal article is for staff only
    assert found(world["alice"], "定价") == [] and found(world["bob"], "distributors") == []
    assert found(world["author"], "定价") == [arts["pricing"].pk]
    # staff find every published article, portal or not
    assert set(found(factories.UserFactory(username="rep"), "主轴")) == {arts["spindle"].pk, arts["pricing"].pk}


def test_drafts_are_not_found_by_anyone(world):
    draft = world["articles"]["draft"]
    for person in (world["alice"], world["author"]):
        assert draft.pk not in found(person, "草稿")
        assert draft.pk not in engine_ids(person, "draft")


def test_a_disabled_portal_user_finds_nothing(world):
    PortalAccount.objects.filter(user=world["alice"]).update(disabled_at=timezone.now())
    alice = type(world["alice"]).objects.get(pk=world["alice"].pk)
    page = article_search(user=alice, q="主轴")
    assert page.results == [] and page.total == 0


def test_the_database_recheck_drops_an_article_whose_audience_changed_but_not_in_the_index(world):
    # given the spindle article (every customer) is readdressed to customer B in the database only,
    # as when the engine missed the update
    spindle = world["articles"]["spindle"]
    spindle.audience_customers.set([world["b"]])  # no on-commit hook runs: the index still says "every customer"
    assert spindle.pk in engine_ids(world["alice"], "主轴")
    # when Alice searches / then the page drops it, and the total does not count it
    page = article_search(user=world["alice"], q="主轴")
    assert page.results == [] and page.total == 0
    assert found(world["bob"], "主轴") == [spindle.pk]


def test_changing_the_audience_through_the_service_updates_the_index(world, committed):
    spindle = world["articles"]["spindle"]
    with committed():
        article_audience_set(actor=world["author"], article=spindle, customers=[world["b"]])
    assert spindle.pk not in engine_ids(world["alice"], "主轴")
    assert found(world["bob"], "主轴") == [spindle.pk]
    with committed():
        article_audience_set(actor=world["author"], article=spindle, customers=[])
    assert found(world["alice"], "主轴") == [spindle.pk]


def test_making_an_article_internal_takes_it_out_of_the_portal(world, committed):
    spindle = world["articles"]["spindle"]
    with committed():
        article_update(actor=world["author"], article=spindle, visibility=ArticleVisibility.INTERNAL)
    assert spindle.pk not in engine_ids(world["alice"], "spindle")
    assert found(world["author"], "spindle") == [spindle.pk]


def test_reindex_rebuilds_the_collection_with_the_same_trimming(world):
    assert articles_reindex() == 3  # the three published articles
    assert found(world["alice"], "主轴") == [world["articles"]["spindle"].pk]
    assert found(world["alice"], "冷却液") == []


def test_a_bad_query_is_a_400(world):
    with pytest.raises(InvalidSearch) as exc:
        article_search(user=world["alice"], q='"unclosed')
    assert exc.value.status_code == 400


def test_reading_an_article_is_audited_with_the_customer(world):
    article_read(actor=world["alice"], article=world["articles"]["spindle"])
    event = AuditEvent.objects.get(event_type="portal.article.read")
    assert event.customer_id == world["a"].pk and event.actor_id == world["alice"].pk
    assert event.target_id == str(world["articles"]["spindle"].pk)


def test_portal_users_cannot_write_articles(world):
    alice = world["alice"]
    with pytest.raises(NotFound):
        article_create(actor=alice, title="Spam", body="x", visibility=ArticleVisibility.PORTAL)
    with pytest.raises(NotFound):
        article_audience_set(actor=alice, article=world["articles"]["spindle"], customers=[world["a"]])
    assert not KnowledgeArticle.objects.filter(title="Spam").exists()


def test_the_article_collection_sits_beside_the_main_index():
    assert collection_url("tantivy:///data/search", "articles") == "tantivy:///data/search-articles"
    assert collection_url("tantivy:///data/search/", "articles") == "tantivy:///data/search-articles"
    assert (collection_url("opensearch://host:9200/dossier?tls=1", "articles")
            == "opensearch://host:9200/dossier-articles?tls=1")
    assert collection_url("opensearch://host:9200", "articles").startswith("opensearch://host:9200/")
    assert collection_url("opensearch://host:9200", "articles").endswith("-articles")
