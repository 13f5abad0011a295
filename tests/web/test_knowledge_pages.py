"""The knowledge base's staff pages (issue 15): list and search, write (Markdown rendered safely, previewed),
send for review, publish, withdraw, choose the audience, read earlier versions, and turn a resolved service
record into an article. Each page: no right → 404, right → 200/302 and the audit row."""

from __future__ import annotations

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import ArticleStatus, ArticleVisibility, KnowledgeArticle, Product
from backend.crm.services import knowledge as services
from backend.crm.services import service as service_services
from indexing.articles import article_search
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db):
    """A sales author, an unrelated rep, a service engineer, a customer and its portal user."""
    author = factories.UserFactory(username="wang.fang", display_name="王芳", role=Role.SALES)
    customer = CustomerFactory(name="上海精工机械有限公司", code="SH-JG", owner=author)
    return {
        "author": author,
        "outsider": factories.UserFactory(username="zhang.wei", display_name="张伟", role=Role.SALES),
        "engineer": factories.UserFactory(username="tom.becker", display_name="Tom Becker", role=Role.SERVICE),
        "customer": customer,
        "contact": portal_user(customer, name="客户联系人", email="buyer@example.com"),
    }


def _draft(cast, **fields):
    values = {"title": "主轴异响 Spindle noise", "body": "## Problem\n\nNoise above **8000 rpm**."} | fields
    return services.article_create(actor=cast["author"], **values)


def test_every_member_of_staff_reads_the_list_portal_users_and_strangers_do_not(cast, client):
    _draft(cast)
    assert client_for(cast["outsider"]).get("/knowledge/").status_code == 200
    assert client_for(cast["contact"]).get("/knowledge/").status_code == 404
    assert client.get("/knowledge/").status_code == 302  # anonymous: to sign-in


def test_the_list_shows_drafts_to_their_author_only_and_searches_earlier_versions(cast):
    # given a draft of the author's that once said "E-417" in its title, and a published article
    draft = _draft(cast, title="Alarm E-417")
    services.article_update(actor=cast["author"], article=draft, title="Drive alarm")
    published = _draft(cast, title="Coolant pressure")
    services.article_publish(actor=cast["author"], article=published)

    # when the author and an unrelated rep look, and the author searches for the old code
    mine = client_for(cast["author"]).get("/knowledge/").content.decode()
    theirs = client_for(cast["outsider"]).get("/knowledge/").content.decode()
    found = client_for(cast["author"]).get("/knowledge/", {"q": "e-417"}).content.decode()

    # then the draft is the author's alone, and the search finds it in its earlier version
    assert "Drive alarm" in mine and "Coolant pressure" in mine
    assert "Drive alarm" not in theirs and "Coolant pressure" in theirs
    assert "Drive alarm" in found and f'data-testid="found-in-older-{draft.pk}"' in found
    assert "Coolant pressure" not in found


def test_a_rep_writes_an_article_previews_it_and_saves_a_draft_with_a_product(cast):
    product = Product.objects.create(code="QH-CK6150", name="数控车床", list_price=100)
    client = client_for(cast["author"])
    assert client.get("/knowledge/new/").status_code == 200
    body = "1. Home the turret.\n2. Run **M19**."

    # when she previews, then saves
    preview = client.post("/knowledge/new/", {"title": "Calibrating the turret", "body": body,
                                              "product": product.pk, "preview": "1"})
    saved = client.post("/knowledge/new/", {"title": "Calibrating the turret", "body": body, "product": product.pk})

    # then the preview renders the Markdown without saving anything; the save makes a draft, audited
    assert preview.status_code == 200 and "<strong>M19</strong>" in preview.content.decode()
    article = KnowledgeArticle.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/knowledge/{article.pk}/"
    assert (article.status, article.product, article.author) == (ArticleStatus.DRAFT, product, cast["author"])
    assert AuditEvent.objects.filter(event_type="crm.article.created", target_id=str(article.pk),
                                     actor=cast["author"]).exists()
    assert AuditEvent.objects.filter(event_type="crm.article.created").count() == 1


def test_a_missing_title_is_shown_on_the_form_and_nothing_is_saved(cast):
    response = client_for(cast["author"]).post("/knowledge/new/", {"title": " ", "body": "x"})
    assert response.status_code == 400 and 'data-testid="knowledge-form"' in response.content.decode()
    assert not KnowledgeArticle.objects.exists()


def test_markdown_is_rendered_and_nothing_the_author_typed_runs_in_the_page(cast):
    # given an article whose text tries HTML, an inline script and a javascript: link
    article = _draft(cast, body='Hello <script>alert(1)</script> <img src=x onerror="alert(2)">\n\n'
                                '[click](javascript:alert(3)) [manual](https://example.com/m.pdf)\n\n# Heading')
    html = client_for(cast["author"]).get(f"/knowledge/{article.pk}/").content.decode()
    body = html.split('data-testid="article-body">', 1)[1].split("</article>", 1)[0]

    # then the markup is text, the javascript link is no link, a web link is, and headings sit under the page's h1
    assert "<script>" not in body and "&lt;script&gt;" in body and "<img" not in body
    assert 'href="javascript' not in body
    assert '<a href="https://example.com/m.pdf" rel="nofollow noopener noreferrer">manual</a>' in body
    assert "<h2>Heading</h2>" in body


def test_a_draft_is_not_found_by_an_unrelated_rep_and_its_edit_page_neither(cast):
    article = _draft(cast)
    for url in (f"/knowledge/{article.pk}/", f"/knowledge/{article.pk}/edit/", f"/knowledge/{article.pk}/versions/1/"):
        assert client_for(cast["outsider"]).get(url).status_code == 404, url
        assert client_for(cast["author"]).get(url).status_code == 200, url
        assert client_for(cast["engineer"]).get(url).status_code == 200, url


def test_editing_keeps_the_old_text_as_a_version_that_can_still_be_read(cast):
    article = _draft(cast, body="Old fix.")
    response = client_for(cast["engineer"]).post(f"/knowledge/{article.pk}/edit/",
                                                 {"title": article.title, "body": "Better fix."})
    assert response.status_code == 302
    page = client_for(cast["author"]).get(f"/knowledge/{article.pk}/").content.decode()
    assert 'data-testid="article-version-2"' in page and 'data-testid="article-version-1"' in page
    old = client_for(cast["author"]).get(f"/knowledge/{article.pk}/versions/1/").content.decode()
    assert "Old fix." in old and "Better fix." not in old
    assert AuditEvent.objects.filter(event_type="crm.article.updated", target_id=str(article.pk),
                                     actor=cast["engineer"]).exists()


def test_review_publish_and_withdraw_buttons_work_for_who_may_change_and_are_404_for_others(
        cast, django_capture_on_commit_callbacks):
    article = _draft(cast)
    services.article_audience_choose(actor=cast["author"], article=article, audience="all")
    base = f"/knowledge/{article.pk}"

    # the author sends it for review; an unrelated rep cannot publish it (404), the engineer does
    assert client_for(cast["author"]).post(f"{base}/review/").status_code == 302
    assert client_for(cast["outsider"]).post(f"{base}/publish/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(cast["engineer"]).post(f"{base}/publish/").status_code == 302
    assert KnowledgeArticle.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED
    assert [hit.article.pk for hit in article_search(user=cast["contact"], q="spindle").results] == [article.pk]

    # a published article: the unrelated rep reads it but cannot withdraw it; the author withdraws it
    page = client_for(cast["outsider"]).get(f"{base}/").content.decode()
    assert 'data-testid="article-withdraw"' not in page
    assert client_for(cast["outsider"]).post(f"{base}/withdraw/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(cast["author"]).post(f"{base}/withdraw/").status_code == 302

    # then it is out of the customers' search at once, and each step is in the trail
    assert KnowledgeArticle.objects.get(pk=article.pk).status == ArticleStatus.WITHDRAWN
    assert article_search(user=cast["contact"], q="spindle").results == []
    assert client_for(cast["author"]).post(f"{base}/unknown-step/").status_code == 404
    for event in ("crm.article.review_requested", "crm.article.published", "crm.article.withdrawn"):
        assert AuditEvent.objects.filter(event_type=event, target_id=str(article.pk)).exists(), event


def test_the_audience_form_chooses_customers_with_the_picker_and_keeps_the_ticked_ones(cast):
    article = _draft(cast)
    other = CustomerFactory(name="北京远航科技", owner=cast["author"])
    url = f"/knowledge/{article.pk}/audience/"
    client = client_for(cast["author"])

    # when the author chooses "only these customers" and adds one with the picker, then adds another
    client.post(url, {"audience": "chosen", "add_customer": cast["customer"].pk})
    client.post(url, {"audience": "chosen", "customers": [cast["customer"].pk], "add_customer": other.pk})
    both = set(KnowledgeArticle.objects.get(pk=article.pk).audience_customers.values_list("id", flat=True))
    # and then unticks the first
    client.post(url, {"audience": "chosen", "customers": [other.pk]})

    article.refresh_from_db()
    assert both == {cast["customer"].pk, other.pk}
    assert article.visibility == ArticleVisibility.PORTAL
    assert list(article.audience_customers.values_list("id", flat=True)) == [other.pk]
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "北京远航科技" in page and 'value="chosen" checked' in page


def test_choosing_customers_without_any_is_refused_with_a_message_and_the_outsider_gets_404(cast):
    article = _draft(cast)
    refused = client_for(cast["author"]).post(f"/knowledge/{article.pk}/audience/", {"audience": "chosen"},
                                              follow=True)
    assert "Choose at least one customer." in refused.content.decode()
    assert KnowledgeArticle.objects.get(pk=article.pk).visibility == ArticleVisibility.INTERNAL
    assert client_for(cast["outsider"]).post(f"/knowledge/{article.pk}/audience/",
                                             {"audience": "all"}).status_code == 404


def _resolved_record(cast):
    rep = cast["author"]
    customer = CustomerFactory(owner=rep)
    record = service_services.service_record_create(actor=rep, customer=customer, title="主轴异响 Spindle noise",
                                                    description="Noise above 8000 rpm.")
    record = service_services.service_record_dispatch(actor=rep, record=record, engineer=cast["engineer"])
    record = service_services.service_record_confirm(actor=cast["engineer"], record=record)
    return service_services.service_record_resolve(actor=cast["engineer"], record=record,
                                                   resolution="Replaced the spindle bearing.")


def test_the_service_record_page_turns_a_resolved_record_into_a_draft_article(cast):
    record = _resolved_record(cast)

    # the engineer sees the button; the rep who owns the customer does not, and posting is 404 for him
    engineer_page = client_for(cast["engineer"]).get(f"/service/{record.pk}/").content.decode()
    rep_page = client_for(cast["author"]).get(f"/service/{record.pk}/").content.decode()
    assert 'data-testid="service-to-article"' in engineer_page
    assert 'data-testid="service-to-article"' not in rep_page
    assert client_for(cast["author"]).post(f"/knowledge/from-service/{record.pk}/").status_code == 404

    # when the engineer presses it
    response = client_for(cast["engineer"]).post(f"/knowledge/from-service/{record.pk}/")

    # then a draft carries the problem and the fix, opens in the editor, and the record page links to it
    article = KnowledgeArticle.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{article.pk}/edit/"
    assert article.source_service_record == record and "Replaced the spindle bearing." in article.body
    assert AuditEvent.objects.filter(event_type="crm.article.created", target_id=str(article.pk)).exists()
    again = client_for(cast["engineer"]).get(f"/service/{record.pk}/").content.decode()
    assert f'href="/knowledge/{article.pk}/"' in again
    shown = client_for(cast["engineer"]).get(f"/knowledge/{article.pk}/").content.decode()
    assert "<h3>Problem</h3>" in shown and f'href="/service/{record.pk}/"' in shown


def test_an_open_record_is_not_turned_into_an_article(cast):
    rep = cast["author"]
    record = service_services.service_record_create(actor=rep, customer=CustomerFactory(owner=rep), title="Open")
    page = client_for(cast["engineer"]).get(f"/service/{record.pk}/").content.decode()
    assert 'data-testid="service-to-article"' not in page
    response = client_for(cast["engineer"]).post(f"/knowledge/from-service/{record.pk}/", follow=True)
    assert response.status_code == 200 and not KnowledgeArticle.objects.exists()


def test_the_pages_speak_chinese(cast):
    article = _draft(cast)
    client = client_for(cast["author"], "zh-hans")
    listing = client.get("/knowledge/").content.decode()
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "知识库" in listing and "新建文章" in listing
    assert "版本" in page and "发布" in page and "草稿" in page


def test_the_list_page_reads_in_a_fixed_number_of_queries_however_many_articles(cast, django_assert_max_num_queries):
    # given two articles, counted; then eight more with products and versions
    client = client_for(cast["engineer"])
    for n in range(2):
        _draft(cast, title=f"Article {n}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get("/knowledge/", {"q": "article"}).status_code == 200
    product = Product.objects.create(code="QH-X", name="X", list_price=1)
    for n in range(8):
        article = _draft(cast, title=f"Article more {n}", product=product)
        services.article_update(actor=cast["author"], article=article, body=f"Changed {n}")

    # then the page (with a search) does not read more
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/knowledge/", {"q": "article"})
    assert response.content.decode().count('data-testid="knowledge-row-') == 10


def test_an_earlier_version_shows_what_changed_to_the_current_text_for_a_reviewer(cast):
    # given an article whose second step was rewritten
    article = _draft(cast, body="1. Stop the spindle.\n2. Replace the bearing.\n3. Run at 8000 rpm.")
    services.article_update(actor=cast["author"], article=article,
                            body="1. Stop the spindle.\n2. Replace both bearings.\n3. Run at 8000 rpm.")

    # when the engineer reads version 1, and then the current version 2
    old = client_for(cast["engineer"]).get(f"/knowledge/{article.pk}/versions/1/").content.decode()
    current = client_for(cast["engineer"]).get(f"/knowledge/{article.pk}/versions/2/").content.decode()

    # then version 1 marks the changed words against the current text; version 2 is the current text
    diff = old.split('data-testid="version-diff"', 1)[1]
    assert "<del>the</del>" in diff and "<ins>both</ins>" in diff and "<ins>bearings</ins>" in diff
    assert 'data-testid="version-same"' in current and 'data-testid="version-diff"' not in current
