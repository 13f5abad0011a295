"""The document page's links and shares, read from queries compiled once per kind of staff user
(backend.common.prepared.staff_instances), are the rows the plain querysets give each user; and a change of
access shows on the next read."""

from __future__ import annotations

import pytest

from backend.access.policy import visible
from backend.crm.models import AccountTeamMember
from backend.crm.selectors.links import links_for_document_page, links_for_document_visible
from backend.crm.services.links import document_link_create
from backend.sharing.models import DocumentShare
from backend.sharing.shares import document_share_create, shares_for_document
from tests import factories

pytestmark = pytest.mark.django_db


def _plain_shares(user, document):
    return [share.pk for share in visible(user, DocumentShare.objects.filter(document=document))
            .order_by("revoked_at", "-created_at", "-id")]


@pytest.fixture
def shared(world):
    """The approved quote document linked to two customers and shared with the rep's customer."""
    world.users["loner"] = factories.UserFactory(username="loner", department=None)
    document_link_create(actor=world.users["admin"], document=world.quote_doc, target=world.other_customer)
    document_share_create(actor=world.rep, document=world.quote_doc, customer=world.customer)
    return world


@pytest.mark.parametrize("who", ["rep", "colleague", "team", "outsider", "engineer", "compliance", "admin", "loner"])
def test_each_kind_of_user_gets_the_links_and_shares_the_plain_querysets_give(shared, who):
    world = shared
    # given pages opened by users of other kinds first
    for warm in ("admin", "rep", "outsider"):
        links_for_document_page(user=world.users[warm], document=world.quote_doc)
        shares_for_document(user=world.users[warm], document=world.quote_doc)
    user = world.users[who]

    # when the page reads the document's links and shares for `who`
    links = links_for_document_page(user=user, document=world.quote_doc)
    shares = shares_for_document(user=user, document=world.quote_doc)

    # then they are the plain querysets' rows, with what the page shows of them
    plain = list(links_for_document_visible(user=user, document=world.quote_doc))
    assert [(link.pk, str(link.customer), str(link.target), str(link.created_by)) for link in links] == \
        [(link.pk, str(link.customer), str(link.target), str(link.created_by)) for link in plain]
    assert [share.pk for share in shares] == _plain_shares(user, world.quote_doc)
    assert all(share.standing == "active" and str(share.customer) for share in shares)
    if who == "admin":
        assert len(links) == 2 and len(shares) == 1
    if who == "rep":  # the other customer is not theirs
        assert [link.customer_id for link in links] == [world.customer.pk] and len(shares) == 1
    if who == "outsider":  # the document's customer is not theirs, the other customer is
        assert [link.customer_id for link in links] == [world.other_customer.pk]


def test_leaving_the_account_team_hides_the_customers_link_at_once(shared):
    world = shared
    # given the team member sees the link to the rep's customer
    assert world.customer.pk in [link.customer_id for link in links_for_document_page(user=world.team, document=world.quote_doc)]

    # when they leave the account team
    AccountTeamMember.objects.filter(customer=world.customer, user=world.team).delete()

    # then the link to that customer is gone from their next read
    assert world.customer.pk not in [link.customer_id for link in links_for_document_page(user=world.team, document=world.quote_doc)]
    assert [link.pk for link in links_for_document_page(user=world.team, document=world.quote_doc)] == \
        [link.pk for link in links_for_document_visible(user=world.team, document=world.quote_doc)]
