"""A rep opens an opportunity from the customer page (a known competitor ticked, two new ones typed), moves
it to negotiation with a note, then on the pipeline board (every stage column in view at 1366 px) changes
its probability and close date in place and opens it from its card. In English and in Chinese, under the
Content-Security-Policy, with axe, and the form at phone width."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Competitor, Opportunity
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


WORDS = {
    "en": {"opened": "is opened.", "moved": "moved to Negotiation", "title": "Five-axis centres, 2 units",
           "history": "Stage history", "required": "A title is required."},
    "zh-hans": {"opened": "已创建", "moved": "已移到“谈判”", "title": "五轴加工中心 2 台",
                "history": "阶段历史", "required": "标题为必填项。"},
}


def _no_axe_violations(page):
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_opens_a_deal_moves_it_and_edits_it_on_the_board(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    Competitor.objects.create(name="Haas")
    page = open_as("wang.fang", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # given the customer page, where the rep clicks "New opportunity"
    page.goto(f"{live_server.url}/customers/{world.customer.pk}/")
    page.click("[data-testid=customer-opportunity-new]")
    page.wait_for_url(re.compile(rf"/opportunities/new/\?customer={world.customer.pk}$"))

    # when she saves without a title: told so next to the field, nothing saved
    page.fill("#opportunity-amount", "860000")
    page.click("[data-testid=opportunity-save]")
    expect(page.locator("#opportunity-title-error")).to_have_text(words["required"])
    # and the form is one column that fits a phone
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.eval_on_selector("[data-testid=opportunity-form]", "el => el.scrollWidth <= el.clientWidth + 1 && "
                                 "el.getBoundingClientRect().width <= window.innerWidth")
    assert fits
    shots(page, f"opportunity-form-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when she fills it in: a close date, a stage, Haas ticked and two new competitors typed
    page.fill("#opportunity-title", words["title"])
    page.fill("#opportunity-amount", "860000")
    close = dt.date.today() + dt.timedelta(days=60)
    page.fill("#opportunity-expected_close", close.isoformat())
    page.select_option("#opportunity-stage", "qualification")
    page.get_by_label("Haas").check()
    page.fill("#opportunity-new_competitors", "DMG Mori、海天精工")
    _no_axe_violations(page)
    shots(page, f"opportunity-form-{suffix}")
    page.click("[data-testid=opportunity-save]")

    # then the opportunity page shows it with its three competitors and the stage's probability
    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    deal = Opportunity.objects.get(title=words["title"])
    expect(page.locator(".alert-success")).to_contain_text(words["opened"])
    expect(page.locator("[data-testid=opportunity-competitors] .chip")).to_have_count(3)
    expect(page.locator("[data-testid=opportunity-probability]")).to_have_text("25%")

    # when she moves it to negotiation with a note
    page.select_option("#stage-select", "negotiation")
    page.fill("#stage-note", "价格谈判 price talks")
    page.click("[data-testid=stage-submit]")
    expect(page.locator(".alert-success")).to_contain_text(words["moved"])
    history = page.locator("[data-testid=stage-history] tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("价格谈判 price talks")
    _no_axe_violations(page)
    shots(page, f"opportunity-{suffix}")

    # when she opens the pipeline at 1366 px: all six stage columns are in view, side by side
    page.goto(f"{live_server.url}/pipeline/")
    columns = page.locator("[data-board] section.column")
    expect(columns).to_have_count(6)
    for index in range(6):
        box = columns.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, index
    # and changes the deal's probability and close date on its card (htmx: the board is redrawn)
    page.click(f"[data-testid=card-edit-{deal.pk}] summary")
    new_close = close + dt.timedelta(days=14)
    page.fill(f"#prob-{deal.pk}", "80")
    page.fill(f"#close-{deal.pk}", new_close.isoformat())
    shots(page, f"pipeline-card-edit-{suffix}", full_page=False)
    page.click(f"[data-testid=card-save-{deal.pk}]")
    expect(page.locator(f"[data-testid=card-probability-{deal.pk}]")).to_have_text("80%")
    _no_axe_violations(page)
    shots(page, f"pipeline-{suffix}", full_page=False)
    deal.refresh_from_db()
    assert (deal.probability, deal.expected_close, deal.stage) == (80, new_close, "negotiation")

    # then the card opens its opportunity, which shows the new probability
    page.click(f"[data-testid=card-link-{deal.pk}]")
    page.wait_for_url(re.compile(rf"/opportunities/{deal.pk}/$"))
    expect(page.locator("[data-testid=opportunity-probability]")).to_have_text("80%")
    assert sorted(deal.competitors.values_list("name", flat=True)) == ["DMG Mori", "Haas", "海天精工"]
    for event_type in ("crm.opportunity.created", "crm.opportunity.stage_changed", "crm.opportunity.updated"):
        assert AuditEvent.objects.filter(event_type=event_type, target_id=str(deal.pk),
                                         actor_id=world.rep.pk).exists(), event_type
    assert problems == []
