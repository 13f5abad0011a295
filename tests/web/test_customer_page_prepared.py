"""The customer page's reads, compiled once per kind of staff user (backend.crm.selectors.customer_page), give
every user exactly the rows the plain selectors give them: the same customer, team, contacts, deals, quote
history (with what each may download), orders and receivables, service records, documents and their links,
timeline and portal accounts; and nothing of one user's answer is kept for the next."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.common.errors import NotFound
from backend.crm.models import AccountTeamMember, Customer
from backend.crm.selectors import customer_page
from backend.crm.selectors.customers import customer_get_visible
from backend.sharing import portal_accounts
from tests import factories

pytestmark = pytest.mark.django_db


def _plain_customer(user, customer_id):
    """customer_get_visible(detailed=True) as it was built before: the queryset with its prefetches."""
    from django.db.models import Count, Prefetch, Q

    from backend.access.policy import Action, visible
    from backend.crm.models import OPEN_STAGES, Contact

    return (
        visible(user, Customer.objects.all(), Action.VIEW).select_related("owner", "owner__department")
        .prefetch_related(
            Prefetch("team", queryset=AccountTeamMember.objects.select_related("user").order_by("added_at")),
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")))
        .annotate(open_opportunities=Count("opportunities", filter=Q(opportunities__stage__in=OPEN_STAGES),
                                           distinct=True))
        .filter(pk=customer_id).first()
    )


def _customer_facts(customer):
    return (customer.pk, customer.name, customer.owner.username, str(customer.owner.department),
            customer.open_opportunities, [(m.pk, m.user.username, m.role) for m in customer.team.all()],
            [(c.pk, c.name, c.is_primary) for c in customer.contacts.all()])


def _rows_facts(rows: customer_page.CustomerPageRows):
    history = rows.history
    return {
        "opportunities": [(o.pk, o.title, o.owner.username, o.customer.name) for o in rows.opportunities],
        "history": [(line.pk, line.product.code, line.quote.number, str(line.quote.owner), line.quote.status,
                     line.document_downloadable, line.quote.document_id and line.quote.document.valid_version_id)
                    for line in history.lines],
        "last_accepted": history.last_accepted,
        "products": sorted(history.products),
        "other_rep_quotes": [(q.pk, q.number, str(q.owner)) for q in rows.other_rep_quotes],
        "orders": [(o.pk, o.number, o.total, o.paid, o.invoiced, o.outstanding, o.overdue, o.customer.name,
                    str(o.owner)) for o in rows.orders],
        "records": [(r.pk, r.title, str(r.engineer), r.customer.name, r.product and r.product.code)
                    for r in rows.records],
        "documents": [(d.pk, d.title, d.valid_version_id and d.valid_version.number,
                       [(link.pk, link.target_type, str(link.target)) for link in d.customer_links])
                      for d in rows.documents],
        "timeline": [(a.pk, a.subject, str(a.owner), a.customer.name) for a in rows.timeline],
        "portal_accounts": {contact: (a.pk, a.state, a.invitation_expires_at)
                            for contact, a in rows.portal_accounts.items()},
    }


def _extend(world):
    """A colleague in no department, and a contact invited to the portal."""
    world.users["loner"] = factories.UserFactory(username="loner", department=None)
    AccountTeamMember.objects.create(customer=world.customer, user=world.users["loner"], role="support")
    contact = world.customer.contacts.first() or world.customer.contacts.create(name="刘洋", email="liu@example.com")
    portal_accounts.portal_invite(actor=world.rep, contact=contact)


@pytest.mark.parametrize("who", ["rep", "colleague", "team", "engineer", "compliance", "admin", "loner"])
def test_each_kind_of_user_gets_the_rows_the_plain_selectors_give(world, who):
    # given the CRM world, a second customer, and some users of each kind having opened pages before
    _extend(world)
    today = timezone.localdate()
    for warm in ("admin", "rep", "outsider"):
        try:
            customer_page.customer_page_rows(user=world.users[warm], customer=world.customer, today=today)
        except NotFound:
            pass
    user = world.users[who]

    # when the page's reads are made for `who` from the prepared queries
    customer = customer_get_visible(user=user, customer_id=world.customer.pk, detailed=True)
    rows = customer_page.customer_page_rows(user=user, customer=customer, today=today)

    # then they are what the plain selectors give
    assert customer_page._prepared_for(user) is not None  # the prepared path was taken
    assert _customer_facts(customer) == _customer_facts(_plain_customer(user, world.customer.pk))
    plain = customer_page._plain_rows(user=user, customer=customer, today=today)
    assert _rows_facts(rows) == _rows_facts(plain)
    if who == "rep":  # the owner sees something of every kind
        assert rows.orders and rows.history.lines and rows.documents and rows.timeline and rows.portal_accounts


def test_a_user_who_may_not_see_the_customer_gets_not_found_after_one_who_may(world):
    # given the rep has opened their customer (the queries for a sales user with a department are compiled)
    customer_get_visible(user=world.rep, customer_id=world.customer.pk, detailed=True)

    # when a sales user of another department, off the account team, asks for it
    # then it is not found for them
    with pytest.raises(NotFound):
        customer_get_visible(user=world.outsider, customer_id=world.customer.pk, detailed=True)
    # and their own customer is theirs
    assert customer_get_visible(user=world.outsider, customer_id=world.other_customer.pk, detailed=True).pk == \
        world.other_customer.pk


def test_a_change_of_access_shows_on_the_next_read(world):
    # given the team member has read the customer's page
    today = timezone.localdate()
    customer = customer_get_visible(user=world.team, customer_id=world.customer.pk, detailed=True)
    assert customer_page.customer_page_rows(user=world.team, customer=customer, today=today).orders

    # when they leave the account team
    AccountTeamMember.objects.filter(customer=world.customer, user=world.team).delete()

    # then the customer is no longer theirs at once
    with pytest.raises(NotFound):
        customer_get_visible(user=world.team, customer_id=world.customer.pk, detailed=True)
    # and none of its rows are read for them any more
    rows = customer_page.customer_page_rows(user=world.team, customer=customer, today=today)
    assert (rows.orders, rows.opportunities, rows.timeline, rows.portal_accounts) == ([], [], [], {})
