"""A service engineer turns a resolved service record into a knowledge article in the browser: the record page's
button opens the draft in the editor, she adds a step in Markdown (and a line of HTML, shown as text, never run),
previews it, saves, addresses it to one customer chosen with the picker, publishes it, edits it again, and reads
version 1 beside the current text; the knowledge base's search finds it. In English and in Chinese, under the
Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import ArticleStatus, KnowledgeArticle
from backend.crm.services import service as service_services
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"draft": "A draft article was made from this service record", "published": "is published.",
           "chosen": "chosen customers can read", "status": "Published", "saved": "is saved."},
    "zh-hans": {"draft": "已根据此服务记录生成一篇草稿文章", "published": "已发布", "chosen": "可以在门户中阅读",
                "status": "已发布", "saved": "已保存"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_engineer_turns_a_service_record_into_a_published_article(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    # given the record dispatched to the engineer, confirmed and resolved
    record = service_services.service_record_confirm(actor=world.engineer, record=world.record)
    service_services.service_record_resolve(actor=world.engineer, record=record,
                                            resolution="更换主轴轴承 Replaced the spindle bearing.")
    page = open_as("tom.becker", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # when she presses "Turn this service record into an article" on the record's page
    page.goto(f"{live_server.url}/service/{record.pk}/")
    page.click("[data-testid=service-to-article]")
    page.wait_for_url(re.compile(r"/knowledge/\d+/edit/$"))
    expect(page.locator(".alert-success")).to_contain_text(words["draft"])
    article = KnowledgeArticle.objects.get(source_service_record=record)

    # and adds a step in Markdown, with a line of HTML, and previews it
    body = page.locator("#id_body")
    body.fill(body.input_value() + "\n\n## Check\n\n1. Run the spindle at **8000 rpm** for `10 min`.\n\n"
              "<script>alert('x')</script>")
    page.click("[data-testid=knowledge-preview]")
    preview = page.locator("[data-testid=knowledge-preview-panel]")
    expect(preview.locator("strong")).to_have_text("8000 rpm")
    expect(preview).to_contain_text("<script>alert('x')</script>")
    assert KnowledgeArticle.objects.get(pk=article.pk).body.count("8000 rpm") == 0
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    shots(page, f"knowledge-editor-preview-{suffix}")
    page.click("[data-testid=knowledge-save]")
    page.wait_for_url(re.compile(rf"/knowledge/{article.pk}/$"))
    expect(page.locator("[data-testid=article-body] h3").first).to_be_visible()

    # and addresses it to 上海精工 only, chosen with the picker, then publishes it
    page.check("[data-testid=audience-chosen]")
    page.fill("#id_add_customer_q", "精工")
    option = page.locator("#id_add_customer_q ~ .picker-list [role=option]", has_text="上海精工")
    expect(option.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_add_customer")).to_have_value(str(world.customer.pk))
    page.click("[data-testid=audience-save]")
    expect(page.locator(".alert-success")).to_contain_text(words["chosen"])
    page.click("[data-testid=article-publish]")
    expect(page.locator(".alert-success")).to_contain_text(words["published"])
    expect(page.locator("[data-testid=article-status]")).to_have_text(words["status"])
    expect(page.locator("[data-testid=article-audience]")).to_contain_text("上海精工")
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    shots(page, f"knowledge-article-published-{suffix}")

    # and edits it once more: version 1 stays readable
    page.click("[data-testid=article-edit]")
    page.fill("#id_title", "主轴异响怎么办 Spindle noise: what to do")
    page.click("[data-testid=knowledge-save]")
    expect(page.locator(".alert-success")).to_contain_text(words["saved"])
    expect(page.locator("[data-testid=article-version-3]")).to_be_visible()
    page.click("[data-testid=article-version-1] a")
    page.wait_for_url(re.compile(rf"/knowledge/{article.pk}/versions/1/$"))
    expect(page.locator("h1")).to_have_text("主轴异响 Spindle noise")
    expect(page.locator("[data-testid=version-body]")).not_to_contain_text("8000 rpm")
    expect(page.locator("[data-testid=version-diff] ins", has_text="8000").first).to_be_visible()
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    shots(page, f"knowledge-version-changes-{suffix}")

    # then the knowledge base's search finds it, also at phone width without sideways scrolling
    page.goto(f"{live_server.url}/knowledge/")
    page.fill("[data-testid=knowledge-search]", "8000")
    page.click("[data-testid=knowledge-search-go]")
    expect(page.locator(f"[data-testid=knowledge-row-{article.pk}]")).to_be_visible()
    shots(page, f"knowledge-list-{suffix}")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/knowledge/", f"/knowledge/{article.pk}/", f"/knowledge/{article.pk}/edit/",
                 f"/knowledge/{article.pk}/versions/1/"):
        page.goto(live_server.url + path)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, path
    page.goto(f"{live_server.url}/knowledge/{article.pk}/")
    shots(page, f"knowledge-article-phone-{suffix}", full_page=False)

    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    assert list(article.audience_customers.values_list("id", flat=True)) == [world.customer.pk]
    for event_type in ("crm.article.created", "crm.article.updated", "crm.article.published"):
        assert AuditEvent.objects.filter(event_type=event_type, target_id=str(article.pk),
                                         actor_id=world.engineer.pk).exists(), event_type
    assert problems == []
