"""A rep logs a visit from the customer 360 in two clicks, sets a next-step reminder with a due day and
marks it done; a manager (an administrator) reads the rep's work log for that customer and exports it —
in English and in Chinese, in a real browser, with no serious accessibility violation and nothing
scrolling sideways at a phone's width (390 px)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Activity, ActivityKind
from tests.browser.axe import axe_source, serious_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"logged": "Visit logged", "reminder": "Reminder set", "done": "Done:", "title": "Work log"},
    "zh-hans": {"logged": "已记录拜访", "reminder": "已设置提醒", "done": "已完成：", "title": "工作日志"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_logs_a_visit_and_a_reminder_and_a_manager_reads_the_work_log(world, open_as, live_server, shots,
                                                                             language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    customer = world.customer

    # given 王芳 on her customer's 360
    page = open_as("wang.fang", language)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    form = page.locator("[data-testid=activity-form]")
    expect(form).to_be_visible()
    expect(page.locator("[data-testid=activity-kind-visit]")).to_be_checked()

    # when she types what happened and clicks Log it (the visit is preselected)
    page.fill("#activity-subject", "拜访采购部 Visited purchasing")
    page.click("[data-testid=activity-submit]")
    page.wait_for_url(re.compile(rf"/customers/{customer.pk}/#activity$"))

    # then the visit is on the timeline
    expect(page.locator(".alert-success")).to_contain_text(words["logged"])
    expect(page.locator("[data-testid=activity]")).to_contain_text("拜访采购部 Visited purchasing")
    assert Activity.objects.filter(subject="拜访采购部 Visited purchasing", kind=ActivityKind.VISIT,
                                   owner=world.rep).exists()

    # when she sets a reminder for the next step, due in three days, about the deal
    page.locator("label.activity-kind", has=page.locator("[data-testid=activity-kind-reminder]")).click()
    page.fill("#activity-subject", "寄样品 Send samples")
    page.locator(".activity-more summary").click()
    page.select_option("#activity-opportunity", str(world.opportunity.pk))
    page.fill("#activity-due", (timezone.localdate() + dt.timedelta(days=3)).isoformat())
    shots(page, f"activity-log-{suffix}")
    assert serious_violations(page, axe_source()) == []
    page.click("[data-testid=activity-submit]")
    page.wait_for_url(re.compile(r"#activity$"))
    expect(page.locator(".alert-success")).to_contain_text(words["reminder"])
    reminder = Activity.objects.get(subject="寄样品 Send samples")
    assert reminder.kind == ActivityKind.REMINDER and reminder.opportunity == world.opportunity

    # and marks it done from her work log's open reminders
    page.click("[data-testid=nav-worklog]")
    page.wait_for_url(re.compile(r"/worklog/$"))
    expect(page.locator("h1")).to_have_text(words["title"])
    expect(page.locator(f"[data-testid=reminder-{reminder.pk}]")).to_be_visible()
    page.click(f"[data-testid=reminder-done-{reminder.pk}]")
    page.wait_for_url(re.compile(r"/worklog/$"))
    expect(page.locator(".alert-success")).to_contain_text(words["done"])
    expect(page.locator(f"[data-testid=reminder-{reminder.pk}]")).to_have_count(0)
    reminder.refresh_from_db()
    assert reminder.done

    # and at a phone's width the 360's form and the work log do not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/customers/{customer.pk}/#activity")
    expect(page.locator("[data-testid=activity-form]")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/worklog/")
    expect(page.locator("[data-testid=worklog]")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shots(page, f"worklog-phone-{suffix}")

    # when the administrator reads 王芳's work log for this customer (chosen with the picker)
    manager = open_as("wu.lei", language)
    manager.goto(f"{live_server.url}/worklog/")
    manager.select_option("#worklog-rep", str(world.rep.pk))
    manager.fill("#worklog-customer-q", "精工")
    option = manager.locator("#worklog-customer-q ~ .picker-list [role=option]", has_text="上海精工")
    expect(option.first).to_be_visible()
    manager.keyboard.press("ArrowDown")
    manager.keyboard.press("Enter")
    expect(manager.locator("#worklog-customer")).to_have_value(str(customer.pk))
    manager.click("[data-testid=worklog-apply]")
    manager.wait_for_url(re.compile(r"/worklog/\?"))

    # then it lists her visit and her reminder (done), and exports as CSV
    table = manager.locator("[data-testid=worklog]")
    expect(table).to_contain_text("拜访采购部 Visited purchasing")
    expect(table).to_contain_text("寄样品 Send samples")
    expect(manager.locator("[data-testid=worklog-counts]")).to_be_visible()
    shots(manager, f"worklog-{suffix}")
    assert serious_violations(manager, axe_source()) == []
    with manager.expect_download() as download:
        manager.click("[data-testid=worklog-csv]")
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert "拜访采购部 Visited purchasing" in content and "寄样品 Send samples" in content
    assert AuditEvent.objects.filter(event_type="crm.worklog.exported", actor=world.admin).exists()
