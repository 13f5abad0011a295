"""The administrator brings an old customer spreadsheet in: opens Import from the menu, uploads a dirty GBK
file, reads the cleaning report (a full-width repeat, a customer Dossier has, an invalid phone), skips one
row, and imports with the progress bar; the result lists what was created. In English and in Chinese,
under the Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Customer
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"repeat": "Duplicate of an earlier row", "existing": "Already in Dossier", "created": "Created",
           "phone": "Invalid phone number"},
    "zh-hans": {"repeat": "与前面的行重复", "existing": "Dossier 中已存在", "created": "已创建", "phone": "电话号码无效"},
}


def _file(suffix: str) -> bytes:
    return ("客户名称,地区,负责人,电话,邮箱\r\n"
            f"苏州恒通精密{suffix},江苏,wang.fang,138 0013 8000,sales@hengtong.cn\r\n"
            f"苏州恒通精密{suffix.translate(str.maketrans('ENZH', 'ＥＮＺＨ'))} ,江苏,,,\r\n"
            "上海精工机械有限公司,上海,,,\r\n"
            f"杭州新锐{suffix},浙江,,12345,\r\n").encode("gbk")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_administrator_imports_an_old_customer_spreadsheet(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "EN" if language == "en" else "ZH"
    page = open_as("wu.lei", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # given the administrator on the import page, opened from the menu
    page.click("[data-testid=nav-imports]")
    page.wait_for_url(re.compile(r"/imports/$"))

    # when they upload the old GBK spreadsheet of customers
    page.select_option("#id_entity", "customer")
    page.set_input_files("#id_file", {"name": "老客户.csv", "mimeType": "text/csv", "buffer": _file(suffix)})
    page.click("[data-testid=import-analyse]")
    page.wait_for_url(re.compile(r"/imports/\d+/$"))

    # then the cleaning report names the repeat, the customer Dossier has and the invalid phone; nothing is written
    report = page.locator("[data-testid=import-issues]")
    for key in ("repeat", "existing", "phone"):
        expect(report).to_contain_text(words[key])
    assert not Customer.objects.filter(name=f"苏州恒通精密{suffix}").exists()
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    shots(page, f"import-dry-run-{suffix.lower()}")
    # and at phone width the page fits
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shots(page, f"import-dry-run-phone-{suffix.lower()}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when they skip the last row and import
    page.select_option("[data-testid=decision-5]", "skip")
    page.click("[data-testid=import-decide]")
    expect(page.locator(".alert-success")).to_be_visible()
    page.click("[data-testid=import-commit]")
    page.wait_for_url(re.compile(r"/imports/\d+/\?show=all$"))

    # then the result lists the created customer; it is owned by the named rep, audited under the administrator
    expect(page.locator("[data-testid=import-row-2]")).to_contain_text(words["created"])
    expect(page.locator("[data-testid=import-progress]")).to_be_hidden()
    created = Customer.objects.get(name=f"苏州恒通精密{suffix}")
    assert created.owner.username == "wang.fang"
    assert not Customer.objects.filter(name=f"杭州新锐{suffix}").exists()
    assert AuditEvent.objects.filter(event_type="crm.customer.created", target_id=str(created.pk),
                                     actor_id=world.admin.pk).exists()
    shots(page, f"import-result-{suffix.lower()}")
    assert problems == []
