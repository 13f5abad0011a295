"""A sales manager sets a rep's quarter target, reads the quarter's figures against it, and exports them as
XLSX, in English and in Chinese, in a real browser; the page passes axe and fits a phone's width."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import OrderLine
from backend.crm.selectors.reports import current_quarter, figures
from backend.web.templatetags.dossier_ui import money
from backend.crm.services.order_balances import order_balances_refresh
from backend.crm.services.report_rollups import rollups_rebuild
from tests.browser.axe import axe_source, serious_violations
from tests.crm.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {"en": {"saved": "Target saved."}, "zh-hans": {"saved": "目标已保存。"}}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_manager_sets_a_target_reads_the_quarter_against_it_and_exports_it(world, open_as, live_server, shots,
                                                                              language):
    suffix = "en" if language == "en" else "zh"
    # given 陈静 manages sales-east, and 王芳 (sales-east) signed an order this quarter; 张伟 (north) another
    world.colleague.user_permissions.add(Permission.objects.get(codename="view_team_figures"))
    product = ProductFactory(code="QH-CK6150", name="数控车床 CK6150")
    for owner, name, amount in ((world.rep, "苏州新达电子有限公司", "123456.50"), (world.outsider, "天津滨海汽配", "99999.00")):
        order = OrderFactory(customer=CustomerFactory(owner=owner, name=name), owner=owner,
                             signed_date=timezone.localdate())
        OrderLine.objects.create(order=order, product=product, quantity=Decimal(1), unit_price=Decimal(amount),
                                 line_total=Decimal(amount))
    # rows written directly: the balances and the reports' rollups are kept by the services they bypass
    order_balances_refresh()
    rollups_rebuild()

    quarter = current_quarter()
    signed = next(row["sales"] for row in figures(user=world.admin, period=quarter, rep_id=world.rep.pk).rows
                  if row["currency"] == "CNY")
    assert signed >= Decimal("123456.50")

    # when she opens the reports from the menu and sets 王芳's target for the quarter at twice what she signed
    page = open_as("chen.jing", language)
    page.click("nav.nav a[href='/reports/']")
    page.wait_for_url(re.compile(r"/reports/$"))
    page.click("[data-testid=set-targets]")
    page.wait_for_url(re.compile(r"/reports/targets/$"))
    page.select_option("#id_rep", str(world.rep.pk))
    page.select_option("#id_period", "quarter")
    page.fill("#id_amount", str(signed * 2))
    with page.expect_navigation():
        page.click("[data-testid=target-form] button[type=submit]")
    expect(page.locator("body")).to_contain_text(WORDS[language]["saved"])
    expect(page.locator("[data-testid=targets-table]")).to_contain_text("王芳")
    shots(page, f"reports-targets-{suffix}")
    assert serious_violations(page, axe_source()) == []

    # then the reports page shows her team's quarter against the target: half of it, 50.0%
    page.goto(f"{live_server.url}/reports/")
    expect(page.locator("[data-testid=targets] [data-testid=attainment]")).to_have_text("50.0%")
    table = page.locator("[data-testid=figures-table]")
    expect(table).to_contain_text(money(signed, "CNY"))
    expect(table).not_to_contain_text("99,999.00")  # another team's rep
    shots(page, f"reports-figures-{suffix}")
    assert serious_violations(page, axe_source()) == []

    # and she exports the figures as XLSX: the file comes and the export is in the audit trail
    with page.expect_download() as download:
        page.click("[data-testid=xlsx-figures]")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert AuditEvent.objects.filter(event_type="crm.report.exported", actor_id=world.colleague.pk,
                                     detail__format="xlsx").exists()

    # and on a phone the page does not scroll sideways, the labels wrap instead of being cut
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/reports/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots(page, f"reports-phone-{suffix}", full_page=False)
