"""The administrator keeps the product catalogue in the browser: adds a gantry machining centre (a floor price
above the list price is refused next to the field), gives the seeded lathe an English name and a floor, and a
rep then reads the catalogue (no edit buttons) and finds the new product with the product picker by its
Chinese name. In English and in Chinese, under the Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Product
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"floor": "The floor price must not be above the list price.", "added": "is in the catalogue.",
           "saved": "is saved.", "name": "Gantry machining centre"},
    "zh-hans": {"floor": "底价不能高于目录价。", "added": "已加入产品目录。", "saved": "已保存。", "name": "龙门加工中心"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_administrator_keeps_the_catalogue_and_a_rep_picks_from_it(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    code = f"QH-GMC2016-{suffix.upper()}"
    page = open_as("wu.lei", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # given the administrator, who opens Products from the menu and then "New product"
    page.click("[data-testid=nav-products]")
    page.wait_for_url(re.compile(r"/products/$"))
    page.click("[data-testid=product-new]")
    page.wait_for_url(re.compile(r"/products/new/$"))

    # when the floor price is typed above the list price: refused next to the field, nothing saved
    page.fill("#id_code", code)
    page.fill("#id_name", "龙门加工中心")
    page.fill("#id_name_en", "Gantry machining centre")
    page.fill("#id_list_price", "1280000")
    page.fill("#id_floor_price", "1300000")
    page.click("[data-testid=product-save]")
    expect(page.locator("#id_floor_price-error")).to_have_text(words["floor"])
    assert not Product.objects.filter(code=code).exists()
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    shots(page, f"product-form-floor-refused-{suffix}")
    # and at phone width the form is one column that fits
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.eval_on_selector("[data-testid=product-form]", "el => el.scrollWidth <= el.clientWidth + 1 && "
                                 "el.getBoundingClientRect().width <= window.innerWidth")
    assert fits
    shots(page, f"product-form-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when the floor is corrected: the product is in the catalogue
    page.fill("#id_floor_price", "1150000")
    page.click("[data-testid=product-save]")
    page.wait_for_url(re.compile(r"/products/\?q="))
    expect(page.locator(".alert-success")).to_contain_text(words["added"])
    expect(page.locator(f"[data-testid=product-{code}]")).to_contain_text(words["name"])

    # when the administrator gives the seeded lathe an English name and a floor price
    lathe = world.product
    page.goto(f"{live_server.url}/products/?q={lathe.code}")
    page.click(f"[data-testid=product-edit-{lathe.code}]")
    page.wait_for_url(re.compile(rf"/products/{lathe.pk}/edit/$"))
    page.fill("#id_name", "数控车床 200")
    page.fill("#id_name_en", "CNC lathe 200")
    page.fill("#id_floor_price", "110000")
    page.click("[data-testid=product-save]")
    expect(page.locator(".alert-success")).to_contain_text(words["saved"])
    row = page.locator(f"[data-testid=product-{lathe.code}]")
    expect(row).to_contain_text("CNC lathe 200")
    expect(row).to_contain_text("110,000.00")
    shots(page, f"products-{suffix}")
    lathe.refresh_from_db()
    assert (lathe.name_en, str(lathe.floor_price)) == ("CNC lathe 200", "110000.00")
    for event_type, target in (("crm.product.created", Product.objects.get(code=code).pk),
                               ("crm.product.updated", lathe.pk)):
        assert AuditEvent.objects.filter(event_type=event_type, target_id=str(target), actor_id=world.admin.pk).exists()
    assert problems == []

    # then a rep reads the catalogue without edit buttons, and the product picker finds the new machine
    rep = open_as("wang.fang", language)
    rep.goto(f"{live_server.url}/products/")
    expect(rep.locator(f"[data-testid=product-{code}]")).to_be_visible()
    expect(rep.locator("[data-testid=product-new]")).to_have_count(0)
    expect(rep.locator("a[href$='/edit/']")).to_have_count(0)
    picked = rep.evaluate("q => fetch('/pick/product/?q=' + encodeURIComponent(q)).then(r => r.json())", "龙门")
    assert [row["label"] for row in picked["results"]] == [f"{code} {words['name']}"]
