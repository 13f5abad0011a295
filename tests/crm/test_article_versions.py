"""Knowledge article versions and the review / publish / withdraw cycle, and choosing who reads an article
(issue 15, knowledge base): the services, their access checks and their audit rows."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import ArticleStatus, ArticleVersion, ArticleVisibility, KnowledgeArticle
from backend.crm.selectors import knowledge as selectors
from backend.crm.services import knowledge as services
from tests.crm.factories import ArticleFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_new_article_is_version_1_and_each_change_of_its_text_is_the_next_version(people):
    # given a draft by the owner
    article = services.article_create(actor=people["owner"], title="Coolant pressure", body="Check the filter.")

    # when the engineer rewrites the body, then only the visibility changes, then the title changes
    services.article_update(actor=people["engineer"], article=article, body="Check and clean the filter.")
    services.article_update(actor=people["engineer"], article=article, visibility=ArticleVisibility.PORTAL)
    services.article_update(actor=people["owner"], article=article, title="冷却液压力 Coolant pressure")

    # then three versions keep each text and who saved it; a visibility change is not a new text
    versions = selectors.article_versions(article=article)
    assert [(v.number, v.title, v.body, v.author) for v in versions] == [
        (3, "冷却液压力 Coolant pressure", "Check and clean the filter.", people["owner"]),
        (2, "Coolant pressure", "Check and clean the filter.", people["engineer"]),
        (1, "Coolant pressure", "Check the filter.", people["owner"]),
    ]


def test_an_article_without_versions_keeps_its_first_text_as_version_1_when_it_is_first_changed(people):
    # given an article written before versions existed (or drafted from a service record)
    article = ArticleFactory(title="Old title", body="Old body", author=people["owner"])
    assert not ArticleVersion.objects.exists()

    # when the engineer changes its body
    services.article_update(actor=people["engineer"], article=article, body="New body")

    # then the old text is version 1 by its author and the new one version 2
    assert [(v.number, v.body, v.author) for v in selectors.article_versions(article=article)] == [
        (2, "New body", people["engineer"]), (1, "Old body", people["owner"])]


def test_a_version_is_read_only_through_an_article_the_reader_may_see(people):
    article = services.article_create(actor=people["owner"], title="Draft", body="v1")
    services.article_update(actor=people["owner"], article=article, body="v2")
    # the outsider does not see the draft at all, so none of its versions
    with pytest.raises(NotFound):
        selectors.article_get_visible(user=people["outsider"], article_id=article.pk)
    seen = selectors.article_get_visible(user=people["engineer"], article_id=article.pk)
    assert selectors.article_version_get(article=seen, number=1).body == "v1"
    with pytest.raises(NotFound):
        selectors.article_version_get(article=seen, number=3)


def test_review_publish_withdraw_and_publish_again_each_audited(people):
    # given the owner's draft
    article = services.article_create(actor=people["owner"], title="Spindle noise", body="Replace the bearing.")

    # when she sends it for review, the engineer publishes it, then withdraws it, then publishes it again
    services.article_review_request(actor=people["owner"], article=article)
    assert KnowledgeArticle.objects.get(pk=article.pk).status == ArticleStatus.REVIEW
    services.article_publish(actor=people["engineer"], article=article)
    services.article_withdraw(actor=people["engineer"], article=article)
    withdrawn = KnowledgeArticle.objects.get(pk=article.pk)
    services.article_publish(actor=people["engineer"], article=article)

    # then each step is recorded, and a withdrawn article is out of sight of staff who did not write it
    assert withdrawn.status == ArticleStatus.WITHDRAWN
    assert KnowledgeArticle.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED
    events = list(AuditEvent.objects.filter(target_id=str(article.pk), event_type__startswith="crm.article.")
                  .order_by("id").values_list("event_type", flat=True))
    assert events == ["crm.article.created", "crm.article.review_requested", "crm.article.published",
                      "crm.article.withdrawn", "crm.article.published"]


def test_only_a_published_article_is_withdrawn_and_only_a_draft_is_sent_for_review(people):
    article = services.article_create(actor=people["owner"], title="T", body="B")
    with pytest.raises(InvalidInput) as not_published:
        services.article_withdraw(actor=people["owner"], article=article)
    services.article_publish(actor=people["owner"], article=article)
    with pytest.raises(InvalidInput) as published:
        services.article_review_request(actor=people["owner"], article=article)
    assert "status" in not_published.value.extra["fields"] and "status" in published.value.extra["fields"]
    assert not AuditEvent.objects.filter(event_type__in=["crm.article.withdrawn", "crm.article.review_requested"]).exists()


def test_a_withdrawn_article_is_hidden_from_other_staff_until_it_is_published_again(people):
    article = services.article_create(actor=people["owner"], title="T", body="B")
    services.article_publish(actor=people["owner"], article=article)
    services.article_withdraw(actor=people["owner"], article=article)
    with pytest.raises(NotFound):
        selectors.article_get_visible(user=people["outsider"], article_id=article.pk)


def test_someone_who_may_not_change_the_article_cannot_publish_withdraw_or_choose_its_audience(people):
    article = services.article_create(actor=people["owner"], title="T", body="B")
    services.article_publish(actor=people["owner"], article=article)
    for step in (lambda: services.article_withdraw(actor=people["outsider"], article=article),
                 lambda: services.article_audience_choose(actor=people["compliance"], article=article,
                                                          audience="all")):
        with pytest.raises(NotFound):
            step()
    assert KnowledgeArticle.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED
    assert AuditEvent.objects.filter(event_type="crm.access.denied", target_id=str(article.pk)).count() == 2


def test_the_audience_is_staff_only_every_customer_or_the_customers_chosen(people):
    article = services.article_create(actor=people["owner"], title="T", body="B")
    other = CustomerFactory(name="北京远航科技")

    # when the chosen customers are set, then every customer, then staff only
    services.article_audience_choose(actor=people["owner"], article=article, audience="chosen",
                                     customers=[people["customer"], other])
    chosen = KnowledgeArticle.objects.get(pk=article.pk)
    chosen_ids = set(chosen.audience_customers.values_list("id", flat=True))
    services.article_audience_choose(actor=people["owner"], article=article, audience="all")
    to_all = KnowledgeArticle.objects.get(pk=article.pk)
    services.article_audience_choose(actor=people["owner"], article=article, audience="internal")
    internal = KnowledgeArticle.objects.get(pk=article.pk)

    # then visibility and audience follow, and each choice is an audit row naming it
    assert chosen.visibility == ArticleVisibility.PORTAL and chosen_ids == {people["customer"].pk, other.pk}
    assert to_all.visibility == ArticleVisibility.PORTAL and not to_all.audience_customers.exists()
    assert internal.visibility == ArticleVisibility.INTERNAL and not internal.audience_customers.exists()
    details = [e.detail for e in AuditEvent.objects.filter(event_type="crm.article.updated",
                                                           target_id=str(article.pk)).order_by("id")]
    assert [(d["visibility"], d["audience"]) for d in details] == [
        ("portal", sorted([people["customer"].pk, other.pk])), ("portal", []), ("internal", [])]


def test_chosen_customers_means_at_least_one_and_nothing_is_half_saved(people):
    article = services.article_create(actor=people["owner"], title="T", body="B")
    with pytest.raises(InvalidInput) as none_chosen:
        services.article_audience_choose(actor=people["owner"], article=article, audience="chosen", customers=[])
    with pytest.raises(InvalidInput) as unknown:
        services.article_audience_choose(actor=people["owner"], article=article, audience="everyone")
    assert "customers" in none_chosen.value.extra["fields"] and "audience" in unknown.value.extra["fields"]
    assert KnowledgeArticle.objects.get(pk=article.pk).visibility == ArticleVisibility.INTERNAL


def test_staff_search_finds_words_in_the_current_text_or_only_in_an_earlier_version(people):
    # given an article whose old text named the error code, and another that names it now
    renamed = services.article_create(actor=people["owner"], title="Alarm E-417", body="Reset the drive.")
    services.article_update(actor=people["owner"], article=renamed, title="Drive alarm", body="Reset the drive.")
    current = services.article_create(actor=people["owner"], title="What E-417 means", body="Overheating.")
    services.article_create(actor=people["owner"], title="Unrelated", body="Nothing here.")

    # when the engineer searches for the code
    found = {a.pk: a.found_in_older for a in selectors.article_list_for_staff(user=people["engineer"], q="e-417")}

    # then both are found, the renamed one marked as found only in an earlier version
    assert found == {renamed.pk: True, current.pk: False}


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_sends_for_review_withdraws_and_lists_versions_for_who_may_change_and_404_for_others(people):
    from tests.fixtures.clients import api_client

    # given the owner's draft, changed once
    article = services.article_create(actor=people["owner"], title="Spindle noise", body="v1")
    services.article_update(actor=people["owner"], article=article, body="v2")
    base = f"/api/crm/articles/{article.pk}"

    # when others try, and the owner sends it for review; the engineer publishes and withdraws it
    hidden = [api_client(people["outsider"]).get(f"{base}/versions/").status_code,
              api_client(people["outsider"]).post(f"{base}/review/").status_code]
    versions = api_client(people["colleague"]).get(f"{base}/versions/")
    review = api_client(people["owner"]).post(f"{base}/review/")
    api_client(people["engineer"]).post(f"{base}/publish/")
    not_theirs = api_client(people["outsider"]).post(f"{base}/withdraw/")
    withdraw = api_client(people["engineer"]).post(f"{base}/withdraw/")
    twice = api_client(people["engineer"]).post(f"{base}/withdraw/")

    # then the draft is 404 to reps who did not write it; each step answers the article, audited
    assert hidden == [404, 404] and versions.status_code == 404
    assert review.status_code == 200 and review.json()["status"] == "review"
    assert not_theirs.status_code == 404
    assert withdraw.status_code == 200 and withdraw.json()["status"] == "withdrawn"
    assert twice.status_code == 400 and "status" in twice.json()["fields"]
    listed = api_client(people["owner"]).get(f"{base}/versions/")
    assert [(v["number"], v["body"], v["author"]["id"]) for v in listed.json()] == [
        (2, "v2", people["owner"].pk), (1, "v1", people["owner"].pk)]
    assert AuditEvent.objects.filter(event_type="crm.article.withdrawn", target_id=str(article.pk),
                                     actor=people["engineer"]).exists()
