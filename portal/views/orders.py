"""Orders: status, lines, amounts, invoices, what is paid and what is outstanding."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import get_language

from backend.common.file_response import file_response
from backend.crm.selectors.orders import order_get_visible, order_list_visible
from backend.crm.services.invoice_pdf import invoice_pdf_download
from backend.crm.services.orders import order_viewed_in_portal
from portal.pages import page_number, portal_reading

ORDERS_PER_PAGE = 25


@portal_reading
def order_list(request):
    page = Paginator(order_list_visible(user=request.user), ORDERS_PER_PAGE).get_page(page_number(request))
    return render(request, "portal/orders.html", {"section": "orders", "page": page})


@portal_reading
def order_detail(request, order_id: int):
    order = order_get_visible(user=request.user, order_id=order_id)
    order_viewed_in_portal(actor=request.user, order=order)
    return render(request, "portal/order.html", {"section": "orders", "order": order})


@portal_reading
def invoice_pdf(request, order_id: int, invoice_id: int):
    """One of the customer's invoices as a PDF, in the portal's language (an audited read)."""
    order = order_get_visible(user=request.user, order_id=order_id)
    pdf = invoice_pdf_download(actor=request.user, order=order, invoice_id=invoice_id, language=get_language(),
                               in_portal=True)
    return file_response([pdf.content], content_type="application/pdf", filename=pdf.filename,
                         length=len(pdf.content))
