"""A rep creates a customer in the browser: the duplicate guard warns as she types (a customer she may not
see is only said to exist, with whom to ask), then she adds a contact who prefers e-mail and wants no
marketing. In English and in Chinese, under the Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Contact, Customer
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"hidden": "already exists, and you cannot see it", "ask": "Ask 张伟", "mine": "already exists, owned by 王芳",
           "created": "is created; you are its owner.", "channel_needs": "E-mail is the preferred channel",
           "added": "is added to the contacts.", "no_marketing": "No marketing", "prefers": "Prefers E-mail"},
    "zh-hans": {"hidden": "但您无权查看", "ask": "请联系 张伟", "mine": "已存在，负责人为 王芳",
                "created": "您是其负责人", "channel_needs": "首选渠道为电子邮件", "added": "添加为联系人",
                "no_marketing": "不接收营销", "prefers": "首选联系方式：邮件"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_creates_a_customer_past_the_duplicate_guard_and_adds_a_contact(world, open_as, live_server, shots,
                                                                               language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    page = open_as("wang.fang", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # given 王芳 on the customers list, who opens "New customer"
    page.goto(f"{live_server.url}/customers/")
    page.click("[data-testid=customer-new]")
    page.wait_for_url(re.compile(r"/customers/new/$"))

    # when she types the name of 张伟's customer, which she may not see
    guard = page.locator("[data-testid=duplicate-guard]")
    page.locator("#customer-name").press_sequentially("北京远航科技")
    # then the guard says it exists and whom to ask, without a link or any of its details
    expect(guard.locator("[data-testid=duplicate-hidden]")).to_contain_text(words["hidden"])
    expect(guard).to_contain_text(words["ask"])
    expect(guard.locator("a")).to_have_count(0)
    expect(guard).not_to_contain_text("北京远航科技 (")
    shots(page, f"customer-new-hidden-duplicate-{suffix}")

    # when she types the name of her own customer in its region: named, with its owner and a link
    page.fill("#customer-name", "上海精工机械有限公司")
    page.fill("#customer-region", "上海")
    expect(guard.locator("[data-testid=duplicate-visible][data-blocking=true]")).to_contain_text(words["mine"])
    expect(guard.locator("[data-testid=duplicate-open]")).to_have_attribute("href", f"/customers/{world.customer.pk}/")
    # with the guard showing, the form has no serious accessibility violation
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    # and at phone width it is one column that fits
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.eval_on_selector("[data-testid=customer-form]", "el => el.scrollWidth <= el.clientWidth + 1 && "
                                 "el.getBoundingClientRect().width <= window.innerWidth")
    assert fits
    shots(page, f"customer-new-duplicate-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when she types a new customer instead: the guard goes quiet, and she creates it as a key account
    name = f"杭州新材料有限公司 {suffix}"
    page.fill("#customer-name", name)
    page.fill("#customer-region", "杭州")
    expect(guard.locator(".warning-box")).to_have_count(0)
    page.fill("#customer-industry", "材料 Materials")
    page.select_option("#customer-tier", "key")
    page.click("[data-testid=customer-save]")
    customer = Customer.objects.get(name=name)
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator(".alert-success")).to_contain_text(words["created"])
    assert (customer.owner_id, customer.tier, customer.region) == (world.rep.pk, "key", "杭州")

    # when she adds a contact who prefers e-mail but forgets the address: refused by the field
    page.click("[data-testid=contact-new]")
    page.fill("#contact-name", "刘洋")
    page.fill("#contact-title", "采购经理")
    page.select_option("#contact-preferred_channel", "email")
    page.check("#contact-marketing_opt_out")
    page.click("[data-testid=contact-save]")
    expect(page.locator(".field-error")).to_contain_text(words["channel_needs"])
    # and with the address it is saved: the customer page shows the preference and "no marketing"
    page.fill("#contact-email", "liu.yang@example.cn")
    shots(page, f"contact-new-{suffix}")
    page.click("[data-testid=contact-save]")
    page.wait_for_url(f"{live_server.url}/customers/{customer.pk}/#contacts")
    expect(page.locator(".alert-success")).to_contain_text(words["added"])
    contact = Contact.objects.get(customer=customer)
    row = page.locator(f"[data-testid=contact-{contact.pk}]")
    expect(row.locator("[data-testid=no-marketing]")).to_have_text(words["no_marketing"])
    expect(row.locator("[data-testid=contact-preferences]")).to_contain_text(words["prefers"])
    shots(page, f"customer-contacts-{suffix}")
    assert problems == []
    assert (contact.preferred_channel, contact.marketing_opt_out) == ("email", True)
    for event_type, target in (("crm.customer.created", customer.pk), ("crm.contact.created", contact.pk)):
        assert AuditEvent.objects.filter(event_type=event_type, target_id=str(target), actor_id=world.rep.pk).exists()
