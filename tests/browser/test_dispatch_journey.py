"""A service manager dispatches with workload in view, in English and in Chinese, in a real browser: from the
service desk she opens a record waiting for dispatch, reads each engineer's open records and experience with
the record's product, chooses the experienced one with the keyboard and dispatches. The engineer confirms and
resolves it, and the page says when the follow-up visit (回访) is due and for whom. No serious accessibility
violation; nothing scrolls sideways at a phone's width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.accounts.models import Role
from backend.crm.models import Activity, ActivityKind, DispatchState, ServiceRecord
from backend.crm.services import service as service_services
from tests import factories
from tests.browser.axe import axe_source, serious_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"open": "Open: 1", "experience": "QH-CNC-200 resolved: 2", "dispatched": "Dispatched to 李明",
           "follow_up": "A follow-up visit is due on"},
    "zh-hans": {"open": "未完成：1", "experience": "QH-CNC-200 已解决：2", "dispatched": "已派给 李明",
                "follow_up": "回访将于"},
}


def _resolved(world, engineer, title):
    admin = world.users["admin"]
    record = service_services.service_record_create(actor=admin, customer=world.customer, title=title,
                                                    product=world.product)
    record = service_services.service_record_dispatch(actor=admin, record=record, engineer=engineer)
    record = service_services.service_record_confirm(actor=engineer, record=record)
    return service_services.service_record_resolve(actor=engineer, record=record, resolution="Done.")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_service_manager_dispatches_with_workload_in_view(world, open_as, live_server, shots, settings, language):
    suffix = "en" if language == "en" else "zh"
    words = WORDS[language]
    settings.SERVICE_FOLLOW_UP_DAYS = 7
    # given 李明 resolved two lathe records and carries none; Tom Becker carries the world's record
    li = factories.UserFactory(username="li.ming", display_name="李明", role=Role.SERVICE)
    _resolved(world, li, "主轴异响 Spindle noise (2025)")
    _resolved(world, li, "刀塔报警 Turret alarm (2025)")
    waiting = service_services.service_record_create(actor=world.rep, customer=world.customer,
                                                     title="刀塔卡死 Turret jammed", product=world.product)

    # when the service manager opens the waiting record from the service desk
    page = open_as("wu.lei", language)
    page.goto(f"{live_server.url}/service/")
    page.click(f"a[href='/service/{waiting.pk}/']")
    page.wait_for_url(re.compile(rf"/service/{waiting.pk}/$"))

    # then she sees each engineer's workload and experience, 李明 (two lathes resolved) first
    form = page.locator("[data-testid=dispatch-form]")
    candidates = form.locator("label.dispatch-candidate")
    expect(candidates).to_have_count(2)
    expect(candidates.nth(0)).to_contain_text("李明")
    expect(candidates.nth(0)).to_contain_text(words["experience"])
    expect(form.locator(f"[data-testid=candidate-{world.engineer.pk}]")).to_contain_text(words["open"])
    shots(page, f"dispatch-workload-{suffix}")
    assert serious_violations(page, axe_source()) == []

    # when she chooses 李明 with the keyboard and dispatches
    page.locator(f"input[name=engineer][value='{li.pk}']").focus()
    page.keyboard.press("Space")
    form.locator("button[type=submit]").click()

    # then the record waits for 李明's confirmation, and the page says so
    expect(page.locator(".alert-success, .alert-info").first).to_contain_text(words["dispatched"])
    expect(page.locator("[data-testid=dispatch-form]")).to_have_count(0)
    record = ServiceRecord.objects.get(pk=waiting.pk)
    assert (record.dispatch_state, record.engineer_id) == (DispatchState.DISPATCHED, li.pk)
    shots(page, f"dispatch-done-{suffix}")

    # when 李明 confirms and resolves it on the record's page
    engineer_page = open_as("li.ming", language)
    engineer_page.goto(f"{live_server.url}/service/{waiting.pk}/")
    engineer_page.click(f"form[action='/service/{waiting.pk}/confirm/'] button")
    engineer_page.fill("input[name=resolution]", "更换刀塔锁紧销 Replaced the turret locking pin")
    engineer_page.click(f"form[action='/service/{waiting.pk}/resolve/'] button")

    # then the page says when the follow-up visit is due, a reminder for the customer's owner
    expect(engineer_page.locator(".alert-success").first).to_contain_text(words["follow_up"])
    expect(engineer_page.locator(".alert-success").first).to_contain_text("王芳")
    follow_up = Activity.objects.get(customer=world.customer, kind=ActivityKind.REMINDER, owner=world.rep,
                                     body__contains=f"#{waiting.pk}")
    assert follow_up.due_at.date() > record.created_at.date()
    shots(engineer_page, f"dispatch-follow-up-{suffix}")

    # and at a phone's width the record page with its dispatch choices does not scroll sideways
    second = service_services.service_record_create(actor=world.rep, customer=world.customer,
                                                    title="冷却液泄漏 Coolant leak", product=world.product)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/service/{second.pk}/")
    expect(page.locator("[data-testid=dispatch-form]")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shots(page, f"dispatch-phone-{suffix}")
