"""An invoice as a PDF, drawn on request for whoever may see its order: staff from the order page, the
customer from the portal.

It is laid out as a quote's PDF is (`backend/crm/quote_pdf_render.py`: company header, facts, the order's
lines, totals, terms, the number on every page), in Chinese or English, from the invoice's figures as the
database computes them (`invoices_with_payments`), so the PDF, the order page and the portal agree. Each
download is an audited read: `crm.invoice.downloaded` for staff, `portal.invoice.downloaded` for a customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from backend.audit import services as audit
from backend.common.errors import NotFound
from backend.crm.models import Invoice, Order
from backend.crm.quote_pdf_render import QuotePdfContent, QuotePdfLine, render_quote_pdf
from backend.crm.services.quote_pdf import pdf_amount, pdf_figure, pdf_language


def _invoice_of(order: Order, invoice_id: int) -> Invoice:
    """`order`'s invoice with its paid/unpaid figures (as order_get_visible prefetches them)."""
    invoice = next((i for i in order.invoices.all() if i.pk == invoice_id), None)
    if invoice is None:
        raise NotFound()
    return invoice


def invoice_pdf_content(order: Order, invoice: Invoice, *, language: str) -> QuotePdfContent:
    """What the invoice's PDF shows, worded in `language`."""
    language = pdf_language(language)
    currency = order.currency
    with translation.override(language):
        lines = list(order.lines.all())
        unpaid = Decimal(invoice.unpaid)
        facts = [
            (_("Invoice"), invoice.number),
            (_("Order number"), order.number),
            (_("Customer"), order.customer.name),
            (_("Issued on"), invoice.issued_on.isoformat()),
            (_("Due on"), invoice.due_on.isoformat()),
            (_("Currency"), currency),
            (_("Contact"), str(order.owner)),
        ]
        if invoice.is_overdue:
            facts.append((_("State"), _("Overdue")))
        terms = [_("Please pay by %(date)s and quote the invoice number %(number)s with the payment.")
                 % {"date": invoice.due_on.isoformat(), "number": invoice.number}]
        return QuotePdfContent(
            number=invoice.number,
            title=_("Invoice"),
            company_name=settings.QUOTE_PDF_COMPANY_NAME,
            company_details=settings.QUOTE_PDF_COMPANY_DETAILS.replace("|", "\n"),
            facts=facts,
            headings=(_("Product"), _("Quantity"), _("Unit price"), _("Discount"), _("Line total")),
            lines=[QuotePdfLine(code=line.product.code, name=line.product.name_in(language),
                                description=line.description, quantity=pdf_figure(line.quantity),
                                unit_price=pdf_amount(line.unit_price, currency),
                                discount=f"{pdf_figure(line.discount_percent)}%",
                                line_total=pdf_amount(line.line_total, currency)) for line in lines],
            totals=[(_("Order total"), pdf_amount(order.total, currency)),
                    (_("This invoice"), pdf_amount(invoice.amount, currency)),
                    (_("Paid"), pdf_amount(invoice.paid, currency)),
                    (_("Unpaid"), pdf_amount(unpaid, currency))],
            terms_heading=_("Payment"),
            terms=terms,
            footer=_("Invoice %(number)s · page %(page)s"),
        )


@dataclass(frozen=True)
class InvoicePdf:
    filename: str  # the invoice number, .pdf
    content: bytes


def invoice_pdf_download(*, actor, order: Order, invoice_id: int, language: str,
                         in_portal: bool = False) -> InvoicePdf:
    """The PDF of `order`'s invoice for `actor`, who already sees the order (the caller read it with
    order_get_visible); another order's invoice is a 404. Audited as a read."""
    invoice = _invoice_of(order, invoice_id)
    pdf = render_quote_pdf(invoice_pdf_content(order, invoice, language=language))
    audit.record("portal.invoice.downloaded" if in_portal else "crm.invoice.downloaded", actor=actor,
                 target=invoice, customer_id=order.customer_id,
                 detail={"number": invoice.number, "order": order.number, "language": pdf_language(language)})
    return InvoicePdf(filename=f"{invoice.number}.pdf", content=pdf)
