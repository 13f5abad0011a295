"""Marketing and expenses in the browser: the marketer (the administrator) starts an exhibition campaign,
adds the quote document as material and invites the customer, records two leads from the campaign and
assigns them to 陈静, who sees both on her home page; she submits an expense for the campaign, and her
manager approves it. In English and in Chinese, under the Content-Security-Policy, with axe and at phone
width."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Campaign, Expense, Lead
from tests import factories
from tests.browser.axe import axe_source, serious_violations
from tests.browser.test_phone_width import OVERFLOW
from tests.browser.problems import watch_problems as _watch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


WORDS = {
    "en": {"started": "is started.", "assigned": "is recorded and assigned to", "approved": "The expense is approved.",
           "status": "Approved"},
    "zh-hans": {"started": "已创建。", "assigned": "已记录并分配给", "approved": "费用已批准。", "status": "已批准"},
}


def _pick(page, box: str, text: str, expected: str) -> None:
    """Type into a picker and click the row it offers."""
    page.fill(box, text)
    option = page.locator(f"{box} ~ .picker-list [role=option]", has_text=expected)
    expect(option.first).to_be_visible()
    option.first.click()


def _record_lead(page, live_server, campaign, name: str, region: str, words) -> None:
    page.click("[data-testid=campaign-lead-new]")
    page.wait_for_url(re.compile(rf"/leads/new/\?campaign={campaign.pk}$"))
    page.fill("#id_name", name)
    page.fill("#id_region", region)
    page.select_option("#id_grade", "hot")
    page.fill("#id_contact_name", "周敏")
    _pick(page, "#lead-assign-to", "陈", "陈静")
    page.click("[data-testid=lead-save]")
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/#leads$"))
    expect(page.locator(".alert-success")).to_contain_text(words["assigned"])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_campaign_brings_two_leads_to_a_rep_whose_expense_her_manager_approves(world, open_as, live_server, shots,
                                                                                 language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    manager = factories.UserFactory(username="sun.li", display_name="孙立", department=world.colleague.department)
    manager.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
    problems: list[str] = []

    # given the marketer, who opens Campaigns from the menu and starts an exhibition
    page = open_as("wu.lei", language)
    _watch(page, problems)
    page.click("[data-testid=nav-campaigns]")
    page.wait_for_url(re.compile(r"/campaigns/$"))
    page.click("[data-testid=campaign-new]")
    page.fill("#id_theme", f"2026 上海机床展 Machine tool expo {suffix}")
    page.select_option("#id_type", "exhibition")
    page.fill("#id_starts_on", "2026-03-01")
    page.fill("#id_ends_on", "2026-03-04")
    page.fill("#id_region", "上海")
    page.fill("#id_budget", "50000")
    page.click("[data-testid=campaign-save]")
    campaign = Campaign.objects.get(theme__endswith=suffix)
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text(words["started"])

    # when the marketer adds the quote document as material and invites the customer
    _pick(page, "#material-document", "报价单", "报价单")
    page.click("[data-testid=campaign-material-add]")
    expect(page.locator(f"[data-testid=campaign-material-{world.quote_doc.pk}]")).to_be_visible()
    _pick(page, "#invite-customer", "精工", "上海精工")
    page.check("input[name=attended]")
    page.click("[data-testid=campaign-invite]")
    expect(page.locator("[data-testid=campaign-invitees] tbody tr")).to_have_count(1)

    # and records two leads from the campaign, each assigned to 陈静
    _record_lead(page, live_server, campaign, f"苏州新锐精工 {suffix}", "苏州", words)
    _record_lead(page, live_server, campaign, f"无锡恒达机械 {suffix}", "无锡", words)
    expect(page.locator("[data-testid=campaign-leads-count]")).to_contain_text("2")
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    shots(page, f"campaign-{suffix}")
    # at phone width the campaign page is one column that fits
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    measured = page.evaluate(OVERFLOW)
    assert measured["scrollWidth"] <= 390, measured["culprits"]
    shots(page, f"campaign-phone-{suffix}", full_page=False)
    assert Lead.objects.filter(campaign=campaign, assigned_to=world.colleague).count() == 2

    # then 陈静 sees both leads on her home page (the panel loads by itself)
    rep = open_as("chen.jing", language)
    _watch(rep, problems)
    panel = rep.locator("[data-testid=my-leads]")
    expect(panel).to_contain_text(f"苏州新锐精工 {suffix}")
    expect(panel).to_contain_text(f"无锡恒达机械 {suffix}")
    shots(rep, f"home-leads-{suffix}")

    # when she submits the taxi to the expo as an expense of the campaign
    rep.click("[data-testid=nav-expenses]")
    rep.click("[data-testid=expense-new]")
    rep.fill("#id_amount", "320.50")
    rep.fill("#id_spent_on", "2026-03-02")
    rep.select_option("#id_category", "travel")
    rep.select_option("#id_payer", "personal")
    rep.fill("#id_description", "展会出租车 taxi")
    rep.select_option("#id_campaign", str(campaign.pk))
    rep.click("[data-testid=expense-save]")
    expense = Expense.objects.get(submitter=world.colleague)
    rep.wait_for_url(re.compile(rf"/expenses/{expense.pk}/$"))
    found = serious_violations(rep, axe_source())
    assert not found, "\n".join(found)

    # then her manager finds it waiting and approves it
    boss = open_as("sun.li", language)
    _watch(boss, problems)
    boss.goto(f"{live_server.url}/expenses/?scope=to_decide")
    boss.click(f"[data-testid=expense-{expense.pk}] a")
    boss.wait_for_url(re.compile(rf"/expenses/{expense.pk}/$"))
    shots(boss, f"expense-decision-{suffix}")
    boss.click("[data-testid=expense-approve]")
    expect(boss.locator(".alert-success")).to_contain_text(words["approved"])
    expect(boss.locator("[data-testid=expense-status]")).to_contain_text(words["status"])
    expense.refresh_from_db()
    assert (expense.status, expense.decided_by, expense.campaign) == ("approved", manager, campaign)
    assert AuditEvent.objects.filter(event_type="crm.expense.approved", actor_id=manager.pk).exists()

    # and the campaign's cost shows the approved expense
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(page.locator("[data-testid=campaign-cost]")).to_contain_text("320.50")
    assert problems == []
