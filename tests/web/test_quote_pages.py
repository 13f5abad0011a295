"""The quote page, the quote editor (new quote, new revision) and the editor's live preview.

World (tests/web/world.py): 王芳 (rep) owns the customer and its accepted quote Q-2026-0001 (with the quote
document; 10 x 120,000 less 1.5%); 李雷 (team) is on the account team and has an open quote Q-2026-0002;
陈静 (colleague) is in the rep's department (sees, changes nothing); 张伟 (outsider) has nothing to do with it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from backend.crm.models import Product, Quote, QuoteStatus
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

MISSING = 999_999


def _lines(*rows):
    """Editor form fields for rows of (product id or code, quantity, unit price, discount)."""
    data = {"line_product": [], "line_product_q": [], "line_quantity": [], "line_unit_price": [],
            "line_discount_percent": [], "line_description": []}
    for product, quantity, price, discount in rows:
        data["line_product"].append(str(product) if isinstance(product, int) else "")
        data["line_product_q"].append("" if isinstance(product, int) else product)
        data["line_quantity"].append(quantity)
        data["line_unit_price"].append(price)
        data["line_discount_percent"].append(discount)
        data["line_description"].append("")
    return data


@pytest.fixture
def extras(world):
    """Two more catalogue products: a spindle with a floor price and a tool kit."""
    return {
        "spindle": Product.objects.create(code="QH-SP-10", name="主轴", name_en="Spindle", list_price=Decimal("5000"),
                                          floor_price=Decimal("4500")),
        "kit": Product.objects.create(code="QH-KIT-1", name="刀具套装", name_en="Tool kit", list_price=Decimal("800")),
    }


# --- who may open what ------------------------------------------------------------------------------


def test_the_quote_pages_need_a_signed_in_user(world):
    quote = world.accepted_quote.pk
    anonymous = Client()
    for url in (f"/quotes/{quote}/", f"/quotes/{quote}/revise/", "/quotes/new/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/signin/?next="), url
    for url in (f"/quotes/{quote}/revise/", "/quotes/new/", "/quotes/preview/"):
        assert anonymous.post(url).status_code == 302, url


def test_the_page_matrix_see_revise_or_404(world):
    open_quote = world.open_quote.pk
    # the owner of the customer and the account team see it and are offered a new revision
    for user in (world.rep, world.team):
        page = client_for(user).get(f"/quotes/{open_quote}/")
        assert page.status_code == 200 and 'data-testid="quote-revise"' in page.content.decode()
        assert client_for(user).get(f"/quotes/{open_quote}/revise/").status_code == 200
    # a department colleague and compliance see it, are offered nothing, and the editor is a 404
    for user in (world.colleague, world.compliance):
        page = client_for(user).get(f"/quotes/{open_quote}/")
        assert page.status_code == 200 and 'data-testid="quote-revise"' not in page.content.decode()
        assert client_for(user).get(f"/quotes/{open_quote}/revise/").status_code == 404
    # no relationship, a portal user, a missing id: the same 404
    for user in (world.outsider, portal_user(world.customer)):
        assert client_for(user).get(f"/quotes/{open_quote}/").status_code == 404
        assert client_for(user).get(f"/quotes/{open_quote}/revise/").status_code == 404
    assert client_for(world.rep).get(f"/quotes/{MISSING}/").status_code == 404
    # opening a quote is an audited read, and a refused editor is in the trail
    assert AuditEvent.objects.filter(event_type="crm.quote.viewed", actor_id=world.colleague.pk,
                                     target_id=str(open_quote)).exists()
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor_id=world.colleague.pk).exists()


def test_the_page_shows_number_customer_deal_lines_totals_file_and_revisions(world):
    page = client_for(world.rep).get(f"/quotes/{world.accepted_quote.pk}/").content.decode()
    assert page.count("Q-2026-0001") >= 3  # the title, the heading, the details and the revisions
    assert "上海精工机械有限公司" in page and "CNC 车床 10 台" in page
    assert "QH-CNC-200" in page and "¥1,182,000.00" in page  # 10 x 120,000 less 1.5%
    assert "¥1,200,000.00" in page and "¥18,000.00" in page  # before discounts, and the discounts
    assert f'href="/documents/{world.quote_doc.pk}/"' in page  # the linked file
    assert 'data-testid="quote-revisions"' in page
    # an accepted quote is not offered a revision
    assert 'data-testid="quote-revise"' not in page


def test_the_page_in_chinese(world):
    page = client_for(world.rep, "zh-hans").get(f"/quotes/{world.accepted_quote.pk}/").content.decode()
    assert "报价" in page and "修订" in page and "有效期至" in page and "历史记录" in page and "起草了报价" in page
    editor = client_for(world.rep, "zh-hans").get(f"/quotes/new/?customer={world.customer.pk}").content.decode()
    assert "新建报价" in editor and "折扣（%）" in editor and "行合计" in editor and "Discount" not in editor


def test_the_customer_and_deal_pages_link_to_the_quote(world):
    customer = client_for(world.rep).get(f"/customers/{world.customer.pk}/").content.decode()
    assert f'href="/quotes/{world.accepted_quote.pk}/"' in customer
    assert f'href="/quotes/new/?customer={world.customer.pk}"' in customer
    deal = client_for(world.rep).get(f"/opportunities/{world.opportunity.pk}/").content.decode()
    assert f'href="/quotes/{world.accepted_quote.pk}/"' in deal
    assert f'href="/quotes/new/?opportunity={world.opportunity.pk}"' in deal
    # who may not change the customer is not offered a new quote
    colleague = client_for(world.colleague).get(f"/customers/{world.customer.pk}/").content.decode()
    assert "/quotes/new/" not in colleague


def test_the_customer_page_shows_each_products_newest_quote_lines_and_offers_the_rest(world):
    # given the lathe quoted seven times in all (the world's two quotes and five more drafts)
    from backend.crm.services.quotes import quote_create

    for n in range(5):
        quote_create(actor=world.rep, customer=world.customer, number=f"Q-2026-01{n:02d}",
                     lines=[{"product": world.product.pk, "quantity": "1", "unit_price": str(110000 + n)}])
    # when the rep opens the customer
    page = client_for(world.rep).get(f"/customers/{world.customer.pk}/").content.decode()
    # then the five newest lines are listed, the accepted price still named, and the rest one click away
    history = page.split('data-testid="quote-history"')[1].split("</section>")[0]
    assert history.count('data-testid="quote-link-') == 5 and "Q-2026-0104" in history
    assert "Q-2026-0001" not in history.split("</h3>")[1]  # an older line, not listed
    assert "last accepted" in history and 'href="?quotes=all#quotes"' in history and "Show all 7" in history
    everything = client_for(world.rep).get(f"/customers/{world.customer.pk}/?quotes=all").content.decode()
    assert everything.split('data-testid="quote-history"')[1].split("</section>")[0].count(
        'data-testid="quote-link-') == 7


# --- the editor: a new quote ------------------------------------------------------------------------


def test_the_editor_drafts_a_quote_with_three_lines_and_shows_the_warnings(world, extras):
    url = f"/quotes/new/?customer={world.customer.pk}"
    client = client_for(world.rep)
    assert client.get(url).status_code == 200
    # when the rep saves three lines: the lathe below the last accepted price, the spindle below its
    # floor, the kit by its code at the list price (blank unit price)
    response = client.post(url, {"customer": world.customer.pk, "currency": "CNY", "valid_until": "2027-01-31",
                                 "notes": "含运费", **_lines((world.product.pk, "2", "90000", "0"),
                                                            (extras["spindle"].pk, "1", "4400", "0"),
                                                            ("QH-KIT-1", "3", "", "10"))})
    # then the quote exists with its lines and the page opens it
    quote = Quote.objects.get(notes="含运费")
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.owner == world.rep and quote.customer == world.customer and str(quote.valid_until) == "2027-01-31"
    lines = list(quote.lines.order_by("id"))
    assert [line.product.code for line in lines] == ["QH-CNC-200", "QH-SP-10", "QH-KIT-1"]
    assert lines[2].unit_price == Decimal("800.00") and lines[2].line_total == Decimal("2160.00")
    event = AuditEvent.objects.get(event_type="crm.quote.created", target_id=str(quote.pk))
    assert set(event.detail["warnings"]) == {"other_rep_open_quote", "price_deviation", "below_floor"}
    # and the page says it, with the warnings, under the new number
    page = client.get(response["Location"]).content.decode()
    assert quote.number in page and "is drafted" in page
    assert "李雷 already has an open quote Q-2026-0002" in page
    assert "below the floor price" in page and "differs by" in page
    assert 'data-testid="quote-page-warnings"' in page  # shown on the page while the quote is open
    # a decided quote warns of nothing
    assert 'data-testid="quote-page-warnings"' not in client.get(f"/quotes/{world.accepted_quote.pk}/").content.decode()


def test_a_new_quote_from_the_deal_page_belongs_to_the_deal(world, extras):
    client = client_for(world.rep)
    page = client.get(f"/quotes/new/?opportunity={world.opportunity.pk}").content.decode()
    assert world.customer.name in page and 'name="opportunity"' in page
    response = client.post(f"/quotes/new/?opportunity={world.opportunity.pk}", {
        "opportunity": world.opportunity.pk, "currency": "CNY", **_lines((extras["kit"].pk, "1", "", ""))})
    assert response.status_code == 302
    quote = Quote.objects.get(pk=response["Location"].split("/")[2])
    assert quote.opportunity == world.opportunity and quote.customer == world.customer


def test_a_wrong_line_is_shown_by_its_field_and_nothing_is_saved(world):
    before = Quote.objects.count()
    response = client_for(world.rep).post(f"/quotes/new/?customer={world.customer.pk}", {
        "customer": world.customer.pk, "currency": "CNY",
        **_lines((world.product.pk, "0", "1000", "0"), ("NO-SUCH-CODE", "1", "", ""))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The quantity must be more than zero." in page and "No such product." in page
    assert Quote.objects.count() == before
    # in Chinese too
    response = client_for(world.rep, "zh-hans").post(f"/quotes/new/?customer={world.customer.pk}", {
        "customer": world.customer.pk, "currency": "CNY", **_lines((world.product.pk, "0", "1000", "0"))})
    assert response.status_code == 400 and "The quantity must be more than zero." not in response.content.decode()


def test_no_lines_or_no_customer_is_refused_by_name(world):
    response = client_for(world.rep).post("/quotes/new/", {"currency": "CNY"})
    assert response.status_code == 400 and "Choose a customer." in response.content.decode()
    response = client_for(world.rep).post("/quotes/new/", {"customer": world.customer.pk, "currency": "CNY"})
    assert response.status_code == 400 and "Add at least one line." in response.content.decode()


def test_who_may_not_change_the_customer_gets_a_404(world):
    for user in (world.colleague, world.outsider):
        assert client_for(user).get(f"/quotes/new/?customer={world.customer.pk}").status_code == 404
        response = client_for(user).post("/quotes/new/", {"customer": world.customer.pk, "currency": "CNY",
                                                          **_lines((world.product.pk, "1", "", ""))})
        assert response.status_code == 404
    assert not Quote.objects.exclude(pk__in=[world.accepted_quote.pk, world.open_quote.pk]).exists()


# --- the live preview -------------------------------------------------------------------------------


def test_the_preview_answers_totals_list_prices_and_warnings_as_the_rep_types(world, extras):
    before = Quote.objects.count()
    answer = client_for(world.rep).post("/quotes/preview/", {
        "customer": world.customer.pk, "currency": "CNY",
        **_lines((world.product.pk, "2", "", "0"), (extras["spindle"].pk, "1", "4000", "0"),
                 (extras["kit"].pk, "x", "", ""))}).json()
    first, second, third = answer["lines"]
    assert first["unit_price"] == "120000.00" and first["line_total"] == "240000.00"
    assert first["product"]["code"] == "QH-CNC-200" and second["product"]["floor_price"] == "4500.00"
    assert third["line_total"] is None and third["errors"]["quantity"] == ["Enter a number."]
    assert answer["total"] == "244000.00" and answer["total_display"] == "¥244,000.00"
    codes = [w["code"] for w in answer["warnings"]]
    assert "other_rep_open_quote" in codes and "below_floor" in codes
    assert any("below the floor price ¥4,500.00" in w["message"] for w in answer["warnings"])
    assert Quote.objects.count() == before


def test_the_preview_speaks_chinese_and_is_for_who_may_quote(world, extras):
    answer = client_for(world.rep, "zh-hans").post("/quotes/preview/", {
        "customer": world.customer.pk, **_lines((extras["spindle"].pk, "1", "4000", "0"))}).json()
    assert answer["lines"][0]["product"]["name"] == "主轴"
    assert all("floor price" not in w["message"] for w in answer["warnings"])
    for user in (world.colleague, world.outsider):
        response = client_for(user).post("/quotes/preview/", {
            "customer": world.customer.pk, **_lines((world.product.pk, "1", "", ""))})
        assert response.status_code == 404
    assert client_for(world.rep).get("/quotes/preview/").status_code == 405


# --- revisions --------------------------------------------------------------------------------------


def test_a_new_revision_keeps_the_old_quote_and_lists_both(world, extras):
    old = world.open_quote
    client = client_for(world.rep)
    form = client.get(f"/quotes/{old.pk}/revise/").content.decode()
    assert "Q-2026-0002" in form and 'value="100000.00"' in form  # the old line, to change
    response = client.post(f"/quotes/{old.pk}/revise/", {
        "quote": old.pk, "currency": "CNY",
        **_lines((world.product.pk, "2", "110000", "0"), (extras["kit"].pk, "1", "", ""))})
    revised = Quote.objects.get(number="Q-2026-0002-R2")
    assert response.status_code == 302 and response["Location"] == f"/quotes/{revised.pk}/"
    old.refresh_from_db()
    assert old.status == QuoteStatus.SUPERSEDED and old.lines.count() == 1
    assert revised.owner == old.owner and revised.lines.count() == 2
    assert AuditEvent.objects.filter(event_type="crm.quote.revised", target_id=str(revised.pk),
                                     actor_id=world.rep.pk).exists()
    page = client.get(f"/quotes/{revised.pk}/").content.decode()
    assert f'href="/quotes/{old.pk}/"' in page and "Q-2026-0002-R2" in page and "kept, superseded" in page
    assert "Revised a quote" in page and "replaces Q-2026-0002" in page  # the revision's own history
    # the superseded quote keeps its history, now ending with its replacement, and is no longer offered a
    # revision; asking is refused by name
    old_page = client.get(f"/quotes/{old.pk}/").content.decode()
    assert "Drafted a quote" in old_page and "Superseded by Q-2026-0002-R2" in old_page
    assert 'data-testid="quote-revise"' not in old_page
    refused = client.post(f"/quotes/{old.pk}/revise/", {"quote": old.pk, "currency": "CNY",
                                                        **_lines((world.product.pk, "1", "", ""))})
    assert refused.status_code == 409 and "only a draft or sent quote can be revised" in refused.content.decode()
    assert Quote.objects.filter(original=old).count() == 1


def test_another_reps_open_quote_is_named_before_the_first_line(world):
    answer = client_for(world.rep).post("/quotes/preview/", {"customer": world.customer.pk, "currency": "CNY"}).json()
    assert answer["lines"] == [] and answer["total"] == "0.00"
    assert [w["code"] for w in answer["warnings"]] == ["other_rep_open_quote"]


def test_the_page_and_the_preview_cost_the_same_queries_for_one_line_or_thirty(world, extras):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.crm.services.quotes import quote_create

    client = client_for(world.rep)
    one, _ = quote_create(actor=world.rep, customer=world.customer, lines=[{"product": extras["kit"].pk,
                                                                            "quantity": "1"}])
    many, _ = quote_create(actor=world.rep, customer=world.customer, lines=[
        {"product": (extras["kit"], extras["spindle"], world.product)[i % 3].pk, "quantity": "1"} for i in range(30)])
    counts = []
    for quote in (one, many):
        with CaptureQueriesContext(connection) as page:
            assert client.get(f"/quotes/{quote.pk}/").status_code == 200
        counts.append(len(page))
    assert counts[0] == counts[1], counts
    previews = []
    for rows in (1, 30):
        form = {"customer": world.customer.pk, **_lines(*[(extras["kit"].pk, "1", "", "")] * rows)}
        with CaptureQueriesContext(connection) as preview:
            assert client.post("/quotes/preview/", form).status_code == 200
        previews.append(len(preview))
    assert previews[0] == previews[1], previews  # the products in one query, whatever the number of lines


def test_the_header_box_and_the_home_page_open_the_quote_page(world, extras):
    from backend.crm.services.quotes import quote_create

    client = client_for(world.rep)
    rows = [row for group in client.get("/search/suggest/", {"q": "Q-2026-0001"}).json()["groups"]
            if group["kind"] == "quotes" for row in group["rows"]]
    assert rows[0]["label"] == "Q-2026-0001" and rows[0]["url"] == f"/quotes/{world.accepted_quote.pk}/"
    mine, _ = quote_create(actor=world.rep, customer=world.customer, lines=[{"product": extras["kit"].pk,
                                                                             "quantity": "1"}])
    assert f'href="/quotes/{mine.pk}/"' in client.get("/").content.decode()
