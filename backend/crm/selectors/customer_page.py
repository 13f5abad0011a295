"""The customer page's reads (the 360), compiled once per kind of staff user and rerun with real ids.

The page runs about fifteen queries, each small, and Django spent more time building and compiling
them (the access policy's filter on every one, the receivables' correlated sums, django-filter) than
PostgreSQL spent running them: ~40 ms of Python per view at 10,000 customers (bench/pages.py). For an
active staff user their SQL depends only on the user's role and on whether they have a department
(backend.common.prepared.StaffStandIn); the user's id, department id, the customer's id and today's
date are parameters. So each query is built by the same selectors the rest of the code uses, for a
stand-in user and a placeholder customer, compiled once per process and kind of user
(PreparedModelQuery), planned once per database connection (its generic plan, from the first run on),
and rerun with the real values.

Anyone else (portal users, the inactive), or a policy that reads more of the user than the stand-in
has, gets the plain selectors: same rows, built afresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db import connections, router
from django.db.models import Count, Q

from backend.access.policy import Action, staff_kind, visible
from backend.common.prepared import (
    STAFF_PLACEHOLDERS,
    PreparedModelQuery,
    PreparedQuery,
    StaffStandIn,
    StandInRead,
    Uncompilable,
    staff_values,
)
from backend.crm.models import (
    OPEN_STAGES, AccountTeamMember, Contact, Customer, DocumentLink, Order, Quote, ServiceRecord,
)
from backend.crm.selectors.activities import activity_timeline
from backend.crm.selectors.links import customer_documents_visible
from backend.crm.selectors.opportunities import opportunity_list_visible
from backend.crm.selectors.orders import with_receivables
from backend.crm.selectors.quotes import (
    HISTORY_LIMIT,
    QuoteHistory,
    _last_accepted_among,
    history_lines_query,
    last_accepted_prices,
    open_quotes_of_other_reps,
    open_quotes_of_other_reps_query,
    quote_history_for_customer,
)
from backend.crm.selectors.service import _rendered as _service_rendered
from backend.documents.models import Document
from backend.sharing.models import PortalAccount
from backend.sharing.selectors import _open_invitation_expiry, portal_accounts_by_contact

TIMELINE_ROWS = 30

# Placeholders for the customer's id and today's date: values no real row or request has.
_CUSTOMER_SLOT = -(2**42) - 100
_TODAY_SLOT = dt.date(1901, 2, 3)
_PLACEHOLDERS = {**STAFF_PLACEHOLDERS, _CUSTOMER_SLOT: "customer", _TODAY_SLOT: "today"}


def _customer_queryset(user, customer_id):
    """customer_get_visible(detailed=True)'s customer row, without its prefetches."""
    return (
        visible(user, Customer.objects.all(), Action.VIEW).select_related("owner", "owner__department")
        .annotate(open_opportunities=Count("opportunities", filter=Q(opportunities__stage__in=OPEN_STAGES),
                                           distinct=True))
        .filter(pk=customer_id).order_by("pk")[:1]
    )


def _team_queryset(customer_id):
    return AccountTeamMember.objects.select_related("user").filter(customer_id=customer_id).order_by("added_at")


def _contacts_queryset(customer_id):
    return Contact.objects.filter(customer_id=customer_id).order_by("-is_primary", "name")


def _downloadable_queryset(user, customer_id):
    """The customer's quote documents `user` may download (the history keeps those of its lines)."""
    documents = Quote.objects.filter(customer_id=customer_id, document_id__isnull=False).values("document_id")
    return visible(user, Document.objects.filter(pk__in=documents), Action.DOWNLOAD).values_list("pk")


def _orders_queryset(user, customer_id, today):
    """order_list_visible(filters={"customer": ...}) with the receivables as of `today`."""
    queryset = visible(user, Order.objects.all(), Action.VIEW).filter(customer_id=customer_id)
    return with_receivables(queryset.select_related("customer", "owner"), today=today).order_by("-created_at", "-id")


def _service_queryset(user, customer_id):
    """service_record_list_visible(filters={"customer": ...})."""
    return _service_rendered(visible(user, ServiceRecord.objects.all(), Action.VIEW).filter(customer_id=customer_id)
                             ).order_by("-created_at", "-id")


def _document_links_queryset(customer_id):
    """customer_documents_visible's `customer_links` prefetch, for every document of the customer."""
    return DocumentLink.objects.filter(customer_id=customer_id).select_related(
        "opportunity", "quote", "order", "service_record")


def _portal_accounts_queryset(user, customer_id):
    """portal_accounts_by_contact's query."""
    visible_customers = visible(user, Customer.objects.filter(pk=customer_id), Action.VIEW).values("pk")
    return (
        PortalAccount.objects.filter(customer_id__in=visible_customers)
        .annotate(invitation_expires_at=_open_invitation_expiry())
        .only("id", "contact_id", "customer_id", "invited_at", "activated_at", "disabled_at", "last_signin_at")
    )


class _PreparedCustomerPage:
    def __init__(self, role: str, has_department: bool, using: str):
        user, cid = StaffStandIn(role, has_department), _CUSTOMER_SLOT

        def models(queryset, *required):
            return PreparedModelQuery(queryset, _PLACEHOLDERS, using=using, required=("customer", *required),
                                      generic=True)

        self.customer = models(_customer_queryset(user, cid))
        self.team = models(_team_queryset(cid))
        self.contacts = models(_contacts_queryset(cid))
        self.opportunities = models(opportunity_list_visible(user=user, customer_id=cid).order_by("-created_at"))
        self.history = models(history_lines_query(cid, for_page=True)[:HISTORY_LIMIT])
        self.downloadable = PreparedQuery(_downloadable_queryset(user, cid), _PLACEHOLDERS, using=using,
                                          required=("customer",), generic=True)
        self.other_quotes = models(open_quotes_of_other_reps_query(user=user, customer=cid))
        self.orders = models(_orders_queryset(user, cid, _TODAY_SLOT), "today")
        self.service = models(_service_queryset(user, cid))
        self.documents = models(customer_documents_visible(user=user, customer=cid, with_tags=False))
        self.document_links = models(_document_links_queryset(cid))
        self.timeline = models(activity_timeline(user=user, customer=cid)[:TIMELINE_ROWS])
        self.portal_accounts = models(_portal_accounts_queryset(user, cid))


@lru_cache(maxsize=64)
def _prepared(using: str, vendor: str, role: str, has_department: bool) -> _PreparedCustomerPage | None:
    try:
        return _PreparedCustomerPage(role, has_department, using)
    except (StandInRead, Uncompilable):
        return None


def _prepared_for(user) -> _PreparedCustomerPage | None:
    kind = staff_kind(user)
    if kind is None:
        return None
    using = router.db_for_read(Customer)
    return _prepared(using, connections[using].vendor, *kind)


def _set_prefetched(instance, name: str, model, rows: list) -> None:
    """Hand `rows` to `instance.<name>.all()` as prefetch_related would."""
    queryset = model._default_manager.all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def customer_detailed(*, user, customer_id: int) -> Customer | None | bool:
    """customer_get_visible(detailed=True) from the prepared queries: the customer with its account team,
    contacts and open-opportunity count, None when `user` may not see it, or False when nothing is prepared
    for `user` (the caller builds the queries itself)."""
    page = _prepared_for(user)
    if page is None:
        return False
    values = {**staff_values(user), "customer": customer_id}
    rows = page.customer.instances(values)
    if not rows:
        return None
    customer = rows[0]
    team = page.team.instances(values)
    contacts = page.contacts.instances(values)
    for row in (*team, *contacts):
        row._state.fields_cache["customer"] = customer
    _set_prefetched(customer, "team", AccountTeamMember, team)
    _set_prefetched(customer, "contacts", Contact, contacts)
    return customer


@dataclass(frozen=True)
class CustomerPageRows:
    opportunities: list
    history: QuoteHistory
    other_rep_quotes: list
    orders: list
    records: list
    documents: list
    timeline: list
    portal_accounts: dict


def customer_page_rows(*, user, customer: Customer, today: dt.date) -> CustomerPageRows:
    """What the customer page lists about `customer` (already read as visible to `user`): the rows the
    plain selectors give (opportunities newest first, the page's quote history, other reps' open quotes,
    orders with receivables as of `today`, service records, linked documents with their links, the last
    TIMELINE_ROWS activities, portal accounts by contact), from queries prepared per kind of user."""
    page = _prepared_for(user)
    if page is None:
        return _plain_rows(user=user, customer=customer, today=today)
    values = {**staff_values(user), "customer": customer.pk, "today": today}

    lines = page.history.instances(values)
    document_ids = {line.quote.document_id for line in lines if line.quote.document_id}
    downloadable = {row[0] for row in page.downloadable.rows(values)} if document_ids else set()
    for line in lines:
        line.document_downloadable = line.quote.document_id in downloadable
    if len(lines) < HISTORY_LIMIT:
        last = _last_accepted_among(lines)
    else:
        last = last_accepted_prices(customer=customer, product_ids={line.product_id for line in lines})
    history = QuoteHistory(customer=customer, lines=lines, last_accepted=last,
                           products={line.product_id: line.product for line in lines})

    documents = page.documents.instances(values)
    if documents:
        links: dict[int, list] = {document.pk: [] for document in documents}
        for link in page.document_links.instances(values):
            if link.document_id in links:
                links[link.document_id].append(link)
        for document in documents:
            document.customer_links = links[document.pk]
            for link in document.customer_links:
                link._state.fields_cache["document"] = document

    return CustomerPageRows(
        opportunities=page.opportunities.instances(values),
        history=history,
        other_rep_quotes=page.other_quotes.instances(values),
        orders=page.orders.instances(values),
        records=page.service.instances(values),
        documents=documents,
        timeline=page.timeline.instances(values),
        portal_accounts={account.contact_id: account for account in page.portal_accounts.instances(values)},
    )


def _plain_rows(*, user, customer: Customer, today: dt.date) -> CustomerPageRows:
    return CustomerPageRows(
        opportunities=list(opportunity_list_visible(user=user, customer_id=customer.pk).order_by("-created_at")),
        history=quote_history_for_customer(user=user, customer=customer, for_page=True),
        other_rep_quotes=open_quotes_of_other_reps(user=user, customer=customer),
        orders=list(_orders_queryset(user, customer.pk, today)),
        records=list(_service_queryset(user, customer.pk)),
        documents=list(customer_documents_visible(user=user, customer=customer, with_tags=False)),
        timeline=list(activity_timeline(user=user, customer=customer)[:TIMELINE_ROWS]),
        portal_accounts=portal_accounts_by_contact(user=user, customer=customer),
    )
