"""A quote's PDF: drawn from its lines in Chinese or English (header, terms, validity, the number on every
page), stored as a versioned quote document linked to the quote and its customer; regenerating adds a
version. Sending shares the newest PDF with the customer's portal and marks the quote sent."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.crm.models import QuoteStatus
from backend.crm.quote_pdf_render import QuotePdfContent, QuotePdfLine, render_quote_pdf
from backend.crm.services.quote_pdf import quote_pdf_generate, quote_send
from backend.crm.services.quotes import quote_create, quote_status_change
from backend.documents.models import DocumentKind
from backend.documents.store import object_store
from backend.sharing.shares import share_list_for_portal
from tests.crm.factories import ProductFactory
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lathe(db):
    return ProductFactory(code="QH-CNC-200", name="数控车床", name_en="CNC lathe", list_price=Decimal("1000.00"),
                          floor_price=Decimal("800.00"))


def _quote(people, lathe, *, lines=1, valid_until=None):
    quote, _ = quote_create(actor=people["owner"], customer=people["customer"], number="Q-2026-0200",
                            valid_until=valid_until or timezone.localdate() + dt.timedelta(days=30),
                            lines=[{"product": lathe.pk, "quantity": "2", "unit_price": "1000",
                                    "discount_percent": "5"}] * lines)
    return quote


def _reader(version) -> PdfReader:
    return PdfReader(io.BytesIO(b"".join(object_store().iter_verified(version.object_key, sha256=version.sha256))))


def _text(version) -> tuple[str, int]:
    reader = _reader(version)
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_the_first_pdf_is_a_new_quote_document_linked_to_the_quote_and_its_customer(people, lathe, settings):
    # given a draft quote and a company header in the settings
    settings.QUOTE_PDF_COMPANY_NAME = "华东精密贸易有限公司"
    quote = _quote(people, lathe)
    # when its owner makes the Chinese PDF
    version = quote_pdf_generate(actor=people["owner"], quote=quote, language="zh-hans")
    # then it is version 1 of a quote document, attached to the quote and linked to quote and customer
    quote.refresh_from_db()
    document = version.document
    assert quote.document_id == document.pk and version.number == 1
    assert document.kind == DocumentKind.QUOTE and version.mime_type == "application/pdf"
    assert document.crm_links.filter(quote=quote, customer=people["customer"]).exists()
    # and the PDF holds the header, the Chinese words, the product, the validity and the total
    text, _pages = _text(version)
    for expected in ("华东精密贸易有限公司", "报价单", "数控车床", "王芳", "Q-2026-0200", quote.valid_until.isoformat(),
                     "¥1,900.00"):
        assert expected in text
    # and it is in the trail
    assert AuditEvent.objects.filter(event_type="crm.quote.pdf_generated", target_id=str(quote.pk),
                                     detail__version=1, detail__language="zh-hans").exists()


def test_regenerating_adds_a_version_and_english_uses_the_english_names(people, lathe):
    quote = _quote(people, lathe)
    first = quote_pdf_generate(actor=people["owner"], quote=quote, language="zh-hans")
    quote.refresh_from_db()
    second = quote_pdf_generate(actor=people["owner"], quote=quote, language="en")
    assert second.document_id == first.document_id and second.number == 2
    text, _pages = _text(second)
    assert "Quotation" in text and "CNC lathe" in text and "Terms" in text


def test_the_quote_number_is_on_every_page_of_a_long_quote(people, lathe):
    # given a quote of 60 lines (more than a page)
    quote = _quote(people, lathe, lines=60)
    version = quote_pdf_generate(actor=people["owner"], quote=quote, language="en")
    reader = _reader(version)
    # then every page names the quote and its page
    assert len(reader.pages) > 1
    for number, page in enumerate(reader.pages, start=1):
        assert f"Quote Q-2026-0200 · page {number}" in page.extract_text()


def test_someone_who_may_not_change_the_quote_cannot_make_its_pdf(people, lathe):
    quote = _quote(people, lathe)
    with pytest.raises(NotFound):
        quote_pdf_generate(actor=people["outsider"], quote=quote)
    assert not AuditEvent.objects.filter(event_type="crm.quote.pdf_generated").exists()


def test_sending_shares_the_newest_pdf_with_the_portal_and_marks_the_quote_sent(people, lathe):
    # given a draft quote with a PDF in two versions and a portal user of the customer
    quote = _quote(people, lathe)
    quote_pdf_generate(actor=people["owner"], quote=quote, language="zh-hans")
    quote.refresh_from_db()
    newest = quote_pdf_generate(actor=people["owner"], quote=quote, language="en")
    reader = portal_user(people["customer"])
    # when the owner sends it
    share = quote_send(actor=people["owner"], quote=quote)
    # then the quote is sent and the portal user sees the newest PDF, pinned
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.sent_at is not None
    assert share.version_id == newest.pk and share.customer_id == people["customer"].pk
    assert [s.pk for s in share_list_for_portal(user=reader)] == [share.pk]
    assert AuditEvent.objects.filter(event_type="crm.quote.sent", target_id=str(quote.pk),
                                     detail__share=share.pk, detail__version=2).exists()


def test_sending_a_quote_without_a_pdf_draws_one_first(people, lathe):
    quote = _quote(people, lathe)
    share = quote_send(actor=people["owner"], quote=quote, language="en")
    quote.refresh_from_db()
    assert quote.document_id == share.document_id and share.version.number == 1


def test_a_sent_quote_or_one_past_its_validity_is_not_sent(people, lathe):
    quote = _quote(people, lathe)
    quote_status_change(actor=people["owner"], quote=quote, status="sent")
    quote.refresh_from_db()
    with pytest.raises(Conflict):
        quote_send(actor=people["owner"], quote=quote)
    lapsed, _ = quote_create(actor=people["owner"], customer=people["customer"], number="Q-2026-0201",
                             valid_until=timezone.localdate() - dt.timedelta(days=1),
                             lines=[{"product": lathe.pk, "quantity": "1", "unit_price": "1000"}])
    with pytest.raises(InvalidInput):
        quote_send(actor=people["owner"], quote=lapsed)
    assert not AuditEvent.objects.filter(event_type="crm.quote.sent").exists()


def test_the_drawing_alone_of_fifty_lines_is_a_pdf():
    content = QuotePdfContent(
        number="Q-1", title="Quotation", company_name="Dossier", company_details="", facts=[("Customer", "X")],
        headings=("Product", "Quantity", "Unit price", "Discount", "Line total"),
        lines=[QuotePdfLine("P", "数控车床", "", "1", "¥1.00", "0%", "¥1.00")] * 50,
        totals=[("Total", "¥50.00")], terms_heading="Terms", terms=["One."], footer="Quote %(number)s · page %(page)s")
    assert render_quote_pdf(content).startswith(b"%PDF")


def test_the_pdf_carries_the_quotes_own_date_however_late_it_is_drawn(people, lathe):
    from backend.crm.models import Quote
    from backend.crm.services.quote_pdf import quote_pdf_content

    # given a quote written forty days ago
    quote = _quote(people, lathe)
    written = timezone.now() - dt.timedelta(days=40)
    Quote.objects.filter(pk=quote.pk).update(created_at=written)
    quote.refresh_from_db()
    # when its PDF is drawn today
    facts = dict(quote_pdf_content(quote, language="en").facts)
    # then it is dated the day the quote was written
    assert facts["Date"] == timezone.localtime(written).date().isoformat()
