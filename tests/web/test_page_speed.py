"""What the busiest staff pages ask the database and compute per request (bench/pages.py measures them):
a right asked once per page, not once per panel; the same HTML from cheaper row rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.access.services import document_permission_grant
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _asked(queries, codenames: str) -> int:
    """How many of the queries ask for exactly these rights (as the policy's can() phrases the question)."""
    return sum(1 for query in queries if f"IN ({codenames})" in query["sql"])


def test_the_document_page_asks_whether_the_reader_may_change_it_once(world):
    # given 陈静 may change 王芳's contract through a grant (the policy asks the database, not the owner rule)
    document_permission_grant(actor=world.rep, document=world.contract, level="change", user=world.colleague)
    client = client_for(world.colleague)
    client.get(f"/documents/{world.contract.pk}/")

    # when she opens it
    with CaptureQueriesContext(connection) as captured:
        page = client.get(f"/documents/{world.contract.pk}/").content.decode()

    # then the retention panel is shown (she may change it) without putting the question to the database again
    assert 'data-testid="retention-panel"' in page
    asked = _asked(captured.captured_queries, "'change_document', 'manage_document'")
    assert asked == 1, [query["sql"] for query in captured.captured_queries]


def test_the_retention_panel_stays_hidden_from_a_reader_who_may_not_change(world):
    # given 陈静 may only download the contract
    document_permission_grant(actor=world.rep, document=world.contract, level="download", user=world.colleague)

    # when she opens it, then there is no retention panel
    page = client_for(world.colleague).get(f"/documents/{world.contract.pk}/").content.decode()
    assert 'data-testid="retention-panel"' not in page


def test_amounts_keep_each_languages_marks_when_the_separators_are_remembered():
    # given amounts formatted in one language, then in others, then in the first again (the separators are
    # remembered per language: a page formats hundreds of amounts)
    from decimal import Decimal

    from django.utils import translation

    from backend.web.templatetags.dossier_ui import money, number

    amount = Decimal("1234567.5")
    with translation.override("en"):
        english = money(amount, "CNY")
    with translation.override("de"):
        german = money(amount, "EUR")
    with translation.override("zh-hans"):
        chinese = money(amount, "CNY"), number(Decimal("12.5"), 1)
    with translation.override("en"):
        again = money(-amount, "USD"), number(None)

    # then each reads with its own language's marks, Chinese grouped by three with commas
    assert english == "¥1,234,567.50"
    assert german == "€1.234.567,50"
    assert chinese == ("¥1,234,567.50", "12.5")
    assert again == ("-$1,234,567.50", "—")


def test_home_lists_my_open_quotes_newest_first_each_with_its_total(world):
    # given 王芳 drafts two more quotes (one of two lines) and sends one
    from backend.crm.models import Quote
    from backend.crm.services import quotes as quote_services

    def draft(actor, *prices):
        lines = [{"product": world.product.pk, "quantity": "2", "unit_price": price, "discount_percent": "10"}
                 for price in prices]
        return quote_services.quote_create(actor=actor, customer=world.customer, lines=lines)[0]

    older = draft(world.rep, "100.00")
    newer = draft(world.rep, "1000.00", "50.00")
    quote_services.quote_status_change(actor=world.rep, quote=older, status="sent")

    # when she opens home
    response = client_for(world.rep).get("/")

    # then her open quotes are listed newest first, each with the sum of its lines
    quotes = response.context["quotes"]
    expected = list(Quote.objects.filter(owner=world.rep, status__in=["draft", "sent"]).order_by("-created_at", "-id"))
    assert [quote.pk for quote in quotes] == [quote.pk for quote in expected][:8]
    assert quotes[0].pk == newer.pk
    totals = {quote.pk: quote.total for quote in quotes}
    assert totals[newer.pk] == sum(line.line_total for line in newer.lines.all()) == Decimal("1890.00")
    assert totals[older.pk] == Decimal("180.00")
    assert all(quote.customer.name for quote in quotes)
    html = response.content.decode()
    assert "¥1,890.00" in html and "¥180.00" in html


def _menu(html: str) -> str:
    return html[html.index('<nav class="nav"'):html.index("</nav>", html.index('<nav class="nav"'))]


def test_the_main_menu_follows_each_readers_entries_section_and_language(world):
    # given the menu has been made for a rep on the customers page, in English
    rep_customers = _menu(client_for(world.rep).get("/customers/").content.decode())

    # when compliance opens the same page, the rep opens another section, and the rep reads in Chinese
    compliance_customers = _menu(client_for(world.compliance).get("/customers/").content.decode())
    rep_home = _menu(client_for(world.rep).get("/").content.decode())
    rep_chinese = _menu(client_for(world.rep, "zh-hans").get("/customers/").content.decode())

    # then each menu has its own reader's entries, marks its own section and speaks its own language
    assert "/compliance/" not in rep_customers and "/compliance/" in compliance_customers
    assert 'data-testid="nav-legal-holds"' in compliance_customers
    assert 'href="/customers/" aria-current="page"' in rep_customers
    assert 'href="/customers/" aria-current="page"' not in rep_home and 'href="/" aria-current="page"' in rep_home
    assert "Customers" in rep_customers and "客户" in rep_chinese and "Customers" not in rep_chinese


def test_the_last_accepted_prices_found_among_the_history_lines_equal_the_databases(world):
    # given several accepted quotes of the same product: two decided at the same moment, one never marked
    # decided (PostgreSQL ranks it first in a descending sort), and a second product accepted once
    import datetime as dt

    from backend.crm.models import Product, Quote
    from backend.crm.selectors.quotes import last_accepted_prices, quote_history_for_customer
    from backend.crm.services import quotes as quote_services

    other = Product.objects.create(code="QH-X-1", name="Other", list_price=Decimal("10"), currency="CNY")

    def accepted(price, product=world.product):
        quote = quote_services.quote_create(actor=world.rep, customer=world.customer, lines=[
            {"product": product.pk, "quantity": "1", "unit_price": price, "discount_percent": "5"}])[0]
        quote_services.quote_status_change(actor=world.rep, quote=quote, status="sent")
        return quote_services.quote_status_change(actor=world.rep, quote=quote, status="accepted")

    first, second, third = accepted("101.00"), accepted("102.00"), accepted("103.00")
    accepted("55.00", other)
    moment = first.decided_at + dt.timedelta(days=1)
    Quote.objects.filter(pk__in=[first.pk, second.pk]).update(decided_at=moment)
    history = quote_history_for_customer(user=world.rep, customer=world.customer)
    products = {line.product_id for line in history.lines}
    # then, for the page's lighter read too, the prices equal the database's ranking, first with a dated tie
    assert history.last_accepted == last_accepted_prices(customer=world.customer, product_ids=products)
    assert history.last_accepted[world.product.pk]["quote_number"] == second.number

    # and when one accepted quote has no decision time, it ranks first, as in the database
    Quote.objects.filter(pk=third.pk).update(decided_at=None)
    page = quote_history_for_customer(user=world.rep, customer=world.customer, for_page=True)
    assert page.last_accepted == last_accepted_prices(customer=world.customer, product_ids=products)
    assert page.last_accepted[world.product.pk]["quote_number"] == third.number
    assert page.last_accepted[other.pk]["net_unit_price"] == Decimal("52.25")
