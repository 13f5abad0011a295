"""A quote's PDF as a versioned Dossier document, and sending the quote to the customer's portal.

`quote_pdf_generate` draws the quote from its lines (in Chinese or English) and stores the PDF through
the document services: the first time as a new document of kind quote (owned by the actor, internal,
linked to the quote and so to its customer: searchable, permissioned, audited like any file), later as
a new version of that document. `quote_send` shares the newest PDF with the customer's portal users
through the sharing service (pinned to that version, so the customer sees what was sent) and marks the
quote sent. Each writes its own audit event last, in one transaction with the rest.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from backend.access.policy import Action
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.crm.models import Quote, QuoteStatus
from backend.crm.quote_pdf_render import QuotePdfContent, QuotePdfLine, render_quote_pdf
from backend.documents.intake import UploadSource
from backend.documents.models import Classification, Document, DocumentKind, DocumentVersion

LANGUAGES = ("zh-hans", "en")
# The refusals, in English like every service message; pages show them translated (backend/ui/errors.py).
NO_LINES = gettext_noop("The quote has no lines to print.")
NOT_DRAFT = gettext_noop("Only a draft quote is sent to the customer; this one was sent or decided already.")
LAPSED = gettext_noop("The quote's validity has passed; make a new revision with a later date.")
CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}


def pdf_language(language: str | None) -> str:
    return "en" if language and not language.lower().startswith("zh") else "zh-hans"


def pdf_amount(value: Decimal, currency: str) -> str:
    return f"{CURRENCY_SYMBOLS.get(currency, currency + ' ')}{value:,.2f}"


def pdf_figure(value: Decimal) -> str:
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _terms() -> list[str]:
    configured = [t.strip() for t in (settings.QUOTE_PDF_TERMS or "").split("|") if t.strip()]
    if configured:
        return configured
    return [
        _("Prices are in the quote's currency and include VAT unless a line says otherwise."),
        _("Payment: 30% with the order, 70% before shipment."),
        _("Delivery time is confirmed with the order."),
        _("This quote is valid until the date shown above; after that, ask us for a new one."),
    ]


def quote_pdf_content(quote: Quote, *, language: str) -> QuotePdfContent:
    """What the quote's PDF shows, worded in `language` ("zh-hans" or "en")."""
    language = pdf_language(language)
    with translation.override(language):
        lines = list(quote.lines.select_related("product").order_by("id"))
        gross = sum(((l.quantity * l.unit_price).quantize(Decimal("0.01")) for l in lines), Decimal("0.00"))
        total = sum((l.line_total for l in lines), Decimal("0.00"))
        currency = quote.currency
        dated = timezone.localtime(quote.created_at).date()  # the quote's own date, however late it is drawn
        facts = [
            (_("Quote number"), quote.number),
            (_("Customer"), quote.customer.name),
            (_("Date"), dated.isoformat()),
            (_("Valid until"), quote.valid_until.isoformat() if quote.valid_until else "—"),
            (_("Currency"), currency),
            (_("Contact"), str(quote.owner)),
        ]
        if quote.revision > 1:
            facts.insert(1, (_("Revision"), str(quote.revision)))
        return QuotePdfContent(
            number=quote.number,
            title=_("Quotation"),
            company_name=settings.QUOTE_PDF_COMPANY_NAME,
            company_details=settings.QUOTE_PDF_COMPANY_DETAILS.replace("|", "\n"),
            facts=facts,
            headings=(_("Product"), _("Quantity"), _("Unit price"), _("Discount"), _("Line total")),
            lines=[QuotePdfLine(code=l.product.code, name=l.product.name_in(language), description=l.description,
                                quantity=pdf_figure(l.quantity), unit_price=pdf_amount(l.unit_price, currency),
                                discount=f"{pdf_figure(l.discount_percent)}%",
                                line_total=pdf_amount(l.line_total, currency)) for l in lines],
            totals=[(_("Before discounts"), pdf_amount(gross, currency)),
                    (_("Discounts"), pdf_amount(gross - total, currency)),
                    (_("Total"), pdf_amount(total, currency))],
            terms_heading=_("Terms"),
            terms=_terms(),
            notes=quote.notes,
            notes_heading=_("Notes"),
            footer=_("Quote %(number)s · page %(page)s"),
        )


def quote_pdf_generate(*, actor, quote: Quote, language: str = "zh-hans") -> DocumentVersion:
    """Draw `quote` as a PDF in `language` and store it: a new quote document linked to the quote (and its
    customer) the first time, a new version of it afterwards. Needs the right to change the quote (and,
    for a new version, its document). Audited as `crm.quote.pdf_generated`."""
    from backend.crm.services.quotes import quote_attach_document
    from backend.documents.services import document_create, document_version_create

    require(actor=actor, action=Action.CHANGE, obj=quote)
    language = pdf_language(language)
    if not quote.lines.exists():
        raise InvalidInput(NO_LINES, fields={"lines": [NO_LINES]})
    data = render_quote_pdf(quote_pdf_content(quote, language=language))
    suffix = "zh" if language == "zh-hans" else "en"
    upload = UploadSource(stream=io.BytesIO(data), filename=f"{quote.number}-{suffix}.pdf", declared_size=len(data))
    comment = f"Quote PDF ({suffix})"
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.document_id is None:
            with translation.override(language):
                title = _("Quote %(number)s") % {"number": locked.number}
            document, _created = document_create(actor=actor, title=title, kind=DocumentKind.QUOTE,
                                                 classification=Classification.INTERNAL, upload=upload,
                                                 comment=comment, tags=["quote"])
            quote_attach_document(actor=actor, quote=locked, document=document)
            version = document.versions.order_by("-number").first()
        else:
            document = Document.objects.get(pk=locked.document_id)
            version, _created = document_version_create(actor=actor, document=document, upload=upload,
                                                        comment=comment)
        audit.record("crm.quote.pdf_generated", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"number": locked.number, "document_id": document.pk, "version": version.number,
                             "language": language, "lines": locked.lines.count()})
    return version


def quote_pdf_latest(quote: Quote) -> DocumentVersion | None:
    """The newest PDF version of the quote's document, if it has one."""
    if quote.document_id is None:
        return None
    return DocumentVersion.objects.filter(document_id=quote.document_id).order_by("-number").first()


def quote_send(*, actor, quote: Quote, language: str = "zh-hans"):
    """Send a draft quote to the customer: share its newest PDF (drawn now in `language` if it has none)
    with the customer's portal users, pinned to that version, and mark the quote sent. A quote past its
    validity, or not a draft, is refused. Returns the share. Audited as `crm.quote.sent`."""
    from backend.crm.services.quotes import quote_status_change
    from backend.sharing.shares import document_share_create

    require(actor=actor, action=Action.CHANGE, obj=quote)
    if quote.status != QuoteStatus.DRAFT:
        raise Conflict(NOT_DRAFT, status=quote.status)
    if quote.valid_until is not None and quote.valid_until < timezone.localdate():
        raise InvalidInput(LAPSED, fields={"valid_until": [LAPSED]})
    with transaction.atomic():
        version = quote_pdf_latest(quote)
        if version is None:
            version = quote_pdf_generate(actor=actor, quote=quote, language=language)
            quote.refresh_from_db(fields=["document"])
        share = document_share_create(actor=actor, document=version.document, customer=quote.customer,
                                      version=version, downloadable=True, offer_valid_version=False,
                                      note=quote.number)
        sent = quote_status_change(actor=actor, quote=quote, status=QuoteStatus.SENT)
        from backend.notifications import triggers as notifications

        notifications.quote_sent(quote=sent, share=share)
        audit.record("crm.quote.sent", actor=actor, target=sent, customer_id=sent.customer_id,
                     detail={"number": sent.number, "share": share.pk, "document_id": version.document_id,
                             "version": version.number})
    return share


# --- the customer's answer, in the portal ------------------------------------------------------------

NO_LONGER_OPEN = gettext_noop("This quote is no longer waiting for your answer.")
PORTAL_MARK = "[门户 Portal] "
MAX_COMMENT = 2000


def quote_awaiting_customer(*, share) -> Quote | None:
    """The sent quote whose PDF `share` (a share the portal user may open) carries, if the customer has
    not answered it yet."""
    return (Quote.objects.filter(document_id=share.document_id, customer_id=share.customer_id,
                                 status=QuoteStatus.SENT).order_by("-created_at").first())


def quote_decide_by_customer(*, actor, share, accept: bool, comment: str = "") -> Quote:
    """A portal user of the quote's customer accepts or declines a sent quote shared with them, with an
    optional comment. The quote moves to accepted or rejected; the rep who owns the quote is told in the
    app (an open reminder on the customer, due at once, with the comment); audited as
    `crm.quote.decided_by_customer`. `share` must be one the portal user may open (share_get_for_portal)."""
    from backend.access.policy import can, portal_customer_id
    from backend.crm.models import Activity, ActivityKind
    from backend.sharing.models import PortalAccount

    customer_id = portal_customer_id(actor)
    if customer_id is None or customer_id != share.customer_id or not can(actor, Action.VIEW, share):
        audit.record("crm.access.denied", actor=actor, outcome="denied",
                     detail={"action": "decide_quote", "via": "portal", "share": share.pk})
        raise NotFound()
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput("At most 2000 characters.", fields={"comment": ["At most 2000 characters."]})
    with transaction.atomic():
        quote = quote_awaiting_customer(share=share)
        if quote is None:
            raise Conflict(NO_LONGER_OPEN)
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status != QuoteStatus.SENT:
            raise Conflict(NO_LONGER_OPEN)
        now = timezone.now()
        locked.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.REJECTED
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
        contact_id = PortalAccount.objects.filter(user_id=actor.pk).values_list("contact_id", flat=True).first()
        # the reminder's subject is stored, not translated per reader: both languages, like portal questions
        words = (f"{locked.number} 客户已接受 accepted by the customer" if accept
                 else f"{locked.number} 客户已拒绝 declined by the customer")
        Activity.objects.create(
            customer_id=locked.customer_id, opportunity_id=locked.opportunity_id, contact_id=contact_id,
            kind=ActivityKind.REMINDER, subject=f"{PORTAL_MARK}{words}"[:200], body=comment, occurred_at=now,
            due_at=now, owner_id=locked.owner_id, created_at=now)
        from backend.notifications import triggers as notifications

        notifications.quote_decided(quote=locked, accepted=accept, comment=comment)
        audit.record("crm.quote.status_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"number": locked.number, "from": QuoteStatus.SENT, "to": locked.status,
                             "via": "portal"})
        audit.record("crm.quote.decided_by_customer", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"number": locked.number, "decision": "accepted" if accept else "declined",
                             "comment": comment, "share": share.pk})
    return locked
