"""What compliance sees of the portal, and the knowledge base surviving a rebuild of the index."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from backend.accounts.models import Role
from indexing.engine import article_search_backend
from indexing.articles import article_search
from tests import factories
from tests.fixtures.clients import portal_client

pytestmark = pytest.mark.django_db(transaction=False)


def test_compliance_answers_what_this_customer_read_and_when(world):
    # given Alice read an article, opened and downloaded a share
    alice = portal_client(world.alice)
    alice.get(reverse("portal:article", args=[world.articles["public"].pk]))
    alice.get(reverse("portal:share", args=[world.shares["brochure"].pk]))
    b"".join(alice.get(reverse("portal:share_download", args=[world.shares["brochure"].pk])).streaming_content)
    # and Bob of B opened his contract
    portal_client(world.bob).get(reverse("portal:share", args=[world.shares["contract_b"].pk]))
    officer = factories.UserFactory(username="zhao.jing", role=Role.COMPLIANCE)
    # when the compliance officer filters the trail on customer A
    response = portal_client(officer).get(reverse("web:audit_log"), {"customer": world.a.pk})
    body = response.content.decode()
    # then A's reads are there, with who did them, and B's are not
    assert response.status_code == 200
    for event in ("portal.article.read", "portal.share.viewed", "portal.share.downloaded"):
        assert event in body, event
    rows = body[body.index("<tbody"):body.rindex("</tbody>")]
    assert "alice@jinggong.example.com" in rows
    assert "bob@yuanhang.example.com" not in rows


def test_search_reindex_rebuilds_the_knowledge_base(world):
    article_search_backend().clear()
    assert article_search(user=world.alice, q="主轴").total == 0
    call_command("search_reindex", "--no-progress", stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
    found = article_search(user=world.alice, q="主轴")
    assert [hit.article.pk for hit in found.results] == [world.articles["public"].pk]
