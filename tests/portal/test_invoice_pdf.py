"""The customer's side of invoices: overdue invoices flagged as on the staff side, and each invoice's PDF
downloadable (an audited read) — only their own."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from backend.audit.models import AuditEvent
from tests.fixtures.clients import portal_client

pytestmark = pytest.mark.django_db


def test_an_overdue_invoice_is_flagged_on_the_order_and_in_the_list(world):
    # given customer A's invoice (60,000, 40,000 paid) fell due yesterday
    order = world.orders["a"]
    invoice = order.invoices.get()
    invoice.issued_on = timezone.localdate() - dt.timedelta(days=40)
    invoice.due_on = timezone.localdate() - dt.timedelta(days=1)
    invoice.save()
    client = portal_client(world.alice)
    # then the order page and the list say the 20,000 left is overdue
    page = client.get(reverse("portal:order", args=[order.pk])).content.decode()
    row = page.split(f'data-testid="invoice-{invoice.number}"')[1].split("</tr>")[0]
    assert 'data-testid="invoice-overdue"' in row and "20,000.00" in row
    assert 'data-testid="order-overdue"' in page
    listing = client.get(reverse("portal:orders")).content.decode()
    assert 'data-testid="order-overdue"' in listing and "20,000.00" in listing
    # and in Chinese too
    assert "逾期" in portal_client(world.alice, "zh-hans").get(reverse("portal:order", args=[order.pk])).content.decode()


def test_an_invoice_not_yet_due_is_not_flagged(world):
    page = portal_client(world.alice).get(reverse("portal:order", args=[world.orders["a"].pk])).content.decode()
    assert 'data-testid="invoice-overdue"' not in page and 'data-testid="order-overdue"' not in page


def test_the_customer_downloads_their_invoice_and_not_another_customers(world):
    order = world.orders["a"]
    invoice = order.invoices.get()
    url = reverse("portal:invoice_pdf", args=[order.pk, invoice.pk])
    client = portal_client(world.alice)
    assert f'href="{url}"' in client.get(reverse("portal:order", args=[order.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages)
    assert invoice.number in text and order.number in text and "60,000.00" in text
    assert AuditEvent.objects.filter(event_type="portal.invoice.downloaded", customer_id=world.a.pk,
                                     detail__number=invoice.number).count() == 1
    # another customer's order, or its invoice under A's order: the same 404, nothing recorded
    other = world.orders["b"]
    other_invoice = other.invoices.get()
    for foreign in (reverse("portal:invoice_pdf", args=[other.pk, other_invoice.pk]),
                    reverse("portal:invoice_pdf", args=[order.pk, other_invoice.pk])):
        assert client.get(foreign).status_code == 404, foreign
    assert AuditEvent.objects.filter(event_type="portal.invoice.downloaded").count() == 1
