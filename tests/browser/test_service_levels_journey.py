"""An administrator sets service levels on a phone, in English and in Chinese, in a real browser: from the
service desk she opens the targets page, gives urgent issues 1 hour to dispatch and 8 to resolve, and saves;
the record opened three hours ago is re-timed at once, and the desk, filtered to breached records, flags it.
No serious accessibility violation; nothing scrolls sideways at 390 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.crm.models import ServiceLevelTarget, ServiceRecord
from backend.crm.services import service as service_services
from tests.browser.axe import axe_source, serious_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"levels": "Service levels", "saved": "Service levels saved", "breached": "Breached",
           "overdue": "Dispatch overdue by 2 h", "breached_only": "Breached only", "apply": "Apply"},
    "zh-hans": {"levels": "服务级别", "saved": "服务级别已保存", "breached": "已超时",
                "overdue": "派工已超时 2 小时", "breached_only": "仅看已超时", "apply": "应用"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_administrator_sets_service_levels_and_the_desk_flags_a_breach(world, open_as, live_server, shots,
                                                                         language):
    suffix = "en" if language == "en" else "zh"
    words = WORDS[language]
    # given an urgent issue opened three hours ago, and a recent one, with no targets yet
    old = service_services.service_record_create(actor=world.rep, customer=world.customer, priority="urgent",
                                                 title="主轴报警 Spindle alarm E-17")
    ServiceRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    service_services.service_record_create(actor=world.rep, customer=world.customer, priority="urgent",
                                           title="冷却液泄漏 Coolant leak")

    # when the administrator, on a phone, opens the targets page from the service desk
    page = open_as("wu.lei", language)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/service/")
    page.get_by_role("link", name=words["levels"]).click()
    page.wait_for_url(re.compile(r"/service/levels/$"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert serious_violations(page, axe_source()) == []

    # and gives urgent issues 1 hour to respond and 8 to resolve, and saves
    page.fill("#id_urgent-issue-response", "1")
    page.fill("#id_urgent-issue-resolution", "8")
    shots(page, f"service-levels-{suffix}", full_page=False)
    page.locator("[data-testid=service-levels-form] button[type=submit]").click()

    # then the page says so, and the target is stored
    expect(page.locator(".alert-success").first).to_contain_text(words["saved"])
    target = ServiceLevelTarget.objects.get(priority="urgent", type="issue")
    assert (target.response_minutes, target.resolution_minutes) == (60, 480)

    # when she goes back to the desk and asks for breached records only
    page.goto(f"{live_server.url}/service/")
    page.get_by_label(words["breached_only"]).check()
    page.get_by_role("button", name=words["apply"]).click()
    page.wait_for_url(re.compile(r"breached=1"))

    # then the old record is flagged as breached, and the recent one is not listed
    card = page.locator(f"[data-testid=clock-{old.pk}]")
    expect(card).to_contain_text(words["breached"])
    expect(card).to_contain_text(words["overdue"])
    expect(page.get_by_text("Coolant leak")).to_have_count(0)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert serious_violations(page, axe_source()) == []
    shots(page, f"service-levels-desk-{suffix}")
