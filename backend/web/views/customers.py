"""Customers: the list, and the customer 360 page (everything about one customer, a fixed number of queries)."""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy import can_manage_portal_access
from backend.access.policy.crm import may_create_customers
from backend.access.policy.trash import may_manage_legal_holds
from backend.common.errors import NotFound
from backend.crm.models import OPEN_QUOTE_STATUSES, DispatchState, Stage
from backend.crm.services import customers as customer_services
from backend.crm.selectors.customer_page import customer_page_rows
from backend.crm.selectors.customers import customer_list_visible
from backend.documents.holds import active_holds
from backend.documents.models import DocumentKind
from backend.sharing import portal_accounts
from backend.sharing.selectors import portal_account_for_contact, portal_contact_get
from backend.ui.errors import report_outcome
from backend.web.pages import staff_page

# The 360 shows each product's newest quote lines; "show all" (?quotes=all) lists the whole history.
QUOTE_LINES_PER_PRODUCT = 5
CUSTOMERS_PER_PAGE = 50


@staff_page
@require_GET
def customer_list(request):
    query = request.GET.get("q", "").strip()[:100]
    customers = customer_list_visible(user=request.user, search=query)
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/customers.html", {"section": "customers", "page": page, "query": query,
                                                   "can_create_customer": may_create_customers(request.user)})


def _price_warnings(history, *, user) -> list[dict]:
    """Open quote lines whose net unit price strays from the customer's last accepted price."""
    threshold = Decimal(settings.QUOTE_PRICE_DEVIATION_PERCENT)
    warnings = []
    for line in history.lines:
        if line.quote.status not in OPEN_QUOTE_STATUSES:
            continue
        last = history.last_accepted.get(line.product_id)
        if not last or not last["net_unit_price"]:
            continue
        net = (line.unit_price * (Decimal(100) - line.discount_percent) / Decimal(100)).quantize(Decimal("0.01"))
        change = ((net - last["net_unit_price"]) / last["net_unit_price"] * 100).quantize(Decimal("0.1"))
        if abs(change) > threshold:
            warnings.append({"quote": line.quote, "product": line.product, "net": net, "change": change,
                             "last": last, "mine": line.quote.owner_id == user.pk})
    return warnings


@staff_page
@require_GET
def customer_detail(request, customer_id: int):
    user = request.user
    customer = customer_services.customer_view(actor=user, customer_id=customer_id)  # an audited read

    today = timezone.localdate()
    rows = customer_page_rows(user=user, customer=customer, today=today)
    opportunities = rows.opportunities
    by_stage = OrderedDict((stage, {"label": label, "items": []}) for stage, label in Stage.choices)
    for opportunity in opportunities:
        by_stage[opportunity.stage]["items"].append(opportunity)

    history = rows.history
    products = OrderedDict()
    all_quotes = request.GET.get("quotes") == "all"
    for line in history.lines:
        entry = products.setdefault(line.product_id, {"product": line.product, "lines": [], "count": 0,
                                                      "last": history.last_accepted.get(line.product_id)})
        entry["count"] += 1
        if all_quotes or len(entry["lines"]) < QUOTE_LINES_PER_PRODUCT:
            entry["lines"].append(line)
    other_rep_quotes = rows.other_rep_quotes

    orders = rows.orders
    totals: dict[str, dict[str, Decimal]] = {}
    for order in orders:
        if order.status == "cancelled":
            continue
        sums = totals.setdefault(order.currency, {k: Decimal(0) for k in
                                                  ("total", "paid", "invoiced", "outstanding", "overdue")})
        for key in sums:
            sums[key] += getattr(order, key) or Decimal(0)

    records = rows.records
    by_state = OrderedDict((state, {"label": label, "items": []}) for state, label in DispatchState.choices)
    for record in records:
        by_state[record.dispatch_state]["items"].append(record)

    documents = rows.documents
    by_kind = OrderedDict((kind, {"label": label, "items": []}) for kind, label in DocumentKind.choices)
    for document in documents:
        by_kind[document.kind]["items"].append(document)

    timeline = rows.timeline
    # Whoever may change the customer manages its contacts' portal access (the policy's rule).
    may_manage_portal = can_manage_portal_access(user, customer)
    accounts = rows.portal_accounts
    now = timezone.now()
    contacts = [_contact_row(contact, accounts.get(contact.pk), now) for contact in customer.contacts.all()]
    # Compliance places and lifts legal holds: they see the customer's holds and a link to place one.
    may_hold = may_manage_legal_holds(user)
    return render(request, "web/customer.html", {
        "section": "customers",
        "customer": customer,
        "may_hold": may_hold,
        "customer_holds": list(active_holds().filter(customer=customer).order_by("placed_at")) if may_hold else [],
        "can_change": may_manage_portal,
        "can_manage_portal": may_manage_portal,
        "contacts": contacts,
        "opportunities": opportunities,
        "by_stage": by_stage,
        "history": history,
        "products": products,
        "other_rep_quotes": other_rep_quotes,
        "price_warnings": _price_warnings(history, user=user),
        "orders": orders,
        "order_totals": totals,
        "records": records,
        "by_state": by_state,
        "documents": documents,
        "by_kind": by_kind,
        "timeline": timeline,
        "today": today,
        "deviation_threshold": settings.QUOTE_PRICE_DEVIATION_PERCENT,
    })


# --- portal access of the customer's contacts ---------------------------------------------------


def _contact_row(contact, account, now) -> dict:
    """A contact with its portal state: none, invited (until when, or expired), active or disabled."""
    state = account.state if account is not None else "none"
    expires_at = getattr(account, "invitation_expires_at", None) if state == "invited" else None
    return {
        "contact": contact,
        "account": account,
        "state": state,
        "invitation_expires_at": expires_at,
        "invitation_expired": state == "invited" and (expires_at is None or expires_at <= now),
    }


PORTAL_ACTIONS = ("invite", "disable", "enable")


@staff_page
@require_POST
def contact_portal(request, customer_id: int, contact_id: int, action: str):
    """Invite a contact to the portal (again), disable or enable their access. The services check the right."""
    if action not in PORTAL_ACTIONS:
        raise NotFound()
    contact = portal_contact_get(user=request.user, customer_id=customer_id, contact_id=contact_id)

    def act() -> str:
        if action == "invite":
            invite = portal_accounts.portal_invite(actor=request.user, contact=contact)
            text = _("Invitation sent to %(email)s; the link expires on %(date)s.") % {
                "email": contact.email,
                "date": _short_datetime(invite.invitation.expires_at)}
        else:
            account = portal_account_for_contact(user=request.user, contact=contact)
            if action == "disable":
                portal_accounts.portal_account_disable(actor=request.user, account=account)
                text = _("Portal access of %(name)s is disabled; they are signed out at once.") % {"name": contact.name}
            else:
                account = portal_accounts.portal_account_enable(actor=request.user, account=account)
                if account.activated_at is None:
                    text = _("Portal access of %(name)s is enabled again; send a new invitation so they can "
                             "set a password.") % {"name": contact.name}
                else:
                    text = _("Portal access of %(name)s is enabled again.") % {"name": contact.name}
        return text

    report_outcome(request, act)
    return redirect(reverse("web:customer", args=[contact.customer_id]) + "#contacts")


def _short_datetime(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
