"""An invoice's PDF from the staff order page: who may see the order may download it (an audited read);
everyone else, and another order's invoice, get the same 404.

World (tests/web/world.py): INV-0001 of SO-2026-0001 (500,000, 200,000 paid, due 20 days ago: overdue)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from backend.audit.models import AuditEvent
from backend.crm.models import Invoice
from tests.crm.factories import InvoiceFactory, OrderFactory
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages)


def _url(world, invoice=None):
    invoice = invoice or Invoice.objects.get(number="INV-0001")
    return f"/orders/{world.order.pk}/invoices/{invoice.pk}/pdf/"


def test_who_sees_the_order_downloads_its_invoice_in_their_language(world):
    # given the order page links the PDF
    page = client_for(world.rep).get(f"/orders/{world.order.pk}/").content.decode()
    assert f'href="{_url(world)}"' in page
    # when a department colleague (sees the order, changes nothing) downloads it in English and in Chinese
    english = client_for(world.colleague).get(_url(world))
    chinese = client_for(world.colleague, "zh-hans").get(_url(world))
    # then both are PDFs named after the invoice, with its figures, flagged overdue
    assert english.status_code == 200 and english["Content-Type"] == "application/pdf"
    assert "INV-0001.pdf" in english["Content-Disposition"]
    text = _text(english)
    assert "INV-0001" in text and "SO-2026-0001" in text and "上海精工机械有限公司" in text
    assert "500,000.00" in text and "300,000.00" in text and "Overdue" in text
    chinese_text = _text(chinese)
    assert "发票" in chinese_text and "逾期" in chinese_text
    # and each download is in the trail
    assert AuditEvent.objects.filter(event_type="crm.invoice.downloaded", actor=world.colleague,
                                     detail__number="INV-0001").count() == 2


def test_everyone_else_and_another_orders_invoice_get_404(world):
    for user in (world.outsider, portal_user(world.customer)):
        assert client_for(user).get(_url(world)).status_code == 404
    elsewhere = InvoiceFactory(order=OrderFactory(customer=world.customer, owner=world.rep))
    assert client_for(world.rep).get(_url(world, elsewhere)).status_code == 404
    assert client_for(world.rep).get(f"/orders/{world.order.pk}/invoices/999999/pdf/").status_code == 404
    assert not AuditEvent.objects.filter(event_type="crm.invoice.downloaded").exists()
