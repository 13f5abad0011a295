"""The handover page: permission matrix (who is not an administrator gets a 404 on every step), the book
with a choice per row, the preview that changes nothing, the confirmation that moves everything at once
(audited per record), a stale preview refused, and search access that follows the new owner at once."""

from __future__ import annotations

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import AccountTeamMember, Activity, ActivityKind, Customer, Opportunity, Quote
from backend.crm.services.links import document_link_create
from backend.documents.services import document_create
from indexing.search import document_search
from tests import factories
from tests.fixtures.clients import client_for
from tests.web.world import pdf_with_text, upload

pytestmark = pytest.mark.django_db


def _book_keys(world):
    """王芳's book in the web world: her customer, her open deal, her open reminder."""
    reminder = Activity.objects.get(owner=world.rep, kind=ActivityKind.REMINDER, done=False)
    return [f"customer-{world.customer.pk}", f"opportunity-{world.opportunity.pk}", f"reminder-{reminder.pk}"]


def _plan_post(world, to, rep=None, **rows):
    rep = rep or world.rep
    data = {"rep": rep.pk, "to": [to.pk], "note": "离职 leaves"}
    for key in _book_keys(world) if rep == world.rep else []:
        data[f"row-{key}"] = to.pk
    data.update({f"row-{key}": user.pk for key, user in rows.items()})
    return data


@pytest.mark.parametrize("who", ["rep", "colleague", "team", "outsider", "engineer", "compliance"])
def test_only_administrators_reach_any_step(world, who):
    client = client_for(world.users[who])
    assert client.get("/handover/").status_code == 404
    assert client.get(f"/handover/?rep={world.team.pk}").status_code == 404
    assert client.post("/handover/preview/", {"rep": world.rep.pk, "to": [world.outsider.pk]}).status_code == 404
    assert client.post("/handover/run/", _plan_post(world, world.outsider)).status_code == 404
    # nothing moved, and no Handover link in their menu
    assert Customer.objects.get(pk=world.customer.pk).owner == world.rep
    assert b'data-testid="nav-handover"' not in client.get("/").content


def test_anonymous_callers_are_sent_to_sign_in_and_portal_users_get_a_404(world, client):
    response = client.get("/handover/")
    assert response.status_code == 302 and "/signin/" in response["Location"]
    portal_user = factories.UserFactory(username="buyer", role=Role.PORTAL)
    assert client_for(portal_user).get("/handover/").status_code == 404


def test_the_administrator_sees_the_book_with_a_choice_on_each_row(world):
    client = client_for(world.admin)
    page = client.get("/")
    assert b'data-testid="nav-handover"' in page.content
    response = client.get(f"/handover/?rep={world.rep.pk}&to={world.outsider.pk}&to={world.colleague.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    for key in _book_keys(world):
        assert f'data-testid="row-{key}"' in html and f'name="row-{key}"' in html
    # the accepted quote is history, not part of the book; 李雷's open quote is his own book
    assert f"quote-{world.accepted_quote.pk}" not in html and f"quote-{world.open_quote.pk}" not in html
    assert 'data-testid="all-to-zhang.wei"' in html and 'data-testid="all-to-chen.jing"' in html
    # each row links to its record
    assert f'href="/customers/{world.customer.pk}/"' in html and f'href="/opportunities/{world.opportunity.pk}/"' in html
    # the reps with a book are offered, the administrator not
    assert f'<option value="{world.team.pk}"' in html and f'<option value="{world.admin.pk}"' not in html


def test_the_page_in_chinese(world):
    response = client_for(world.admin, "zh-hans").get(f"/handover/?rep={world.rep.pk}&to={world.outsider.pk}")
    html = response.content.decode()
    assert "移交" in html and "预览移交" in html and "客户" in html


def test_the_preview_shows_what_moves_to_whom_and_changes_nothing(world):
    client = client_for(world.admin)
    keys = _book_keys(world)
    response = client.post("/handover/preview/", {
        "rep": world.rep.pk, "to": [world.outsider.pk, world.colleague.pk],
        f"row-{keys[0]}": world.outsider.pk, f"row-{keys[1]}": world.colleague.pk, f"row-{keys[2]}": world.outsider.pk})
    assert response.status_code == 200
    html = response.content.decode()
    to_zhang = html.index('data-testid="preview-zhang.wei"')
    to_chen = html.index('data-testid="preview-chen.jing"')
    assert to_zhang < html.index(f'data-testid="preview-row-{keys[0]}"') < to_chen
    assert html.index(f'data-testid="preview-row-{keys[1]}"') > to_chen
    assert f'name="row-{keys[1]}" value="{world.colleague.pk}"' in html
    assert Customer.objects.get(pk=world.customer.pk).owner == world.rep
    assert not AuditEvent.objects.filter(event_type__endswith=".reassigned").exists()


def test_all_to_one_colleague_without_javascript(world):
    response = client_for(world.admin).post("/handover/preview/", {
        "rep": world.rep.pk, "to": [world.outsider.pk, world.colleague.pk], "all_to": world.colleague.pk})
    html = response.content.decode()
    assert 'data-testid="preview-chen.jing"' in html and 'data-testid="preview-zhang.wei"' not in html


def test_confirming_moves_the_book_at_once_and_audits_each_record(world):
    client = client_for(world.admin)
    response = client.post("/handover/run/", _plan_post(world, world.outsider))
    assert response.status_code == 302 and response["Location"].startswith("/handover/?rep=")
    assert Customer.objects.get(pk=world.customer.pk).owner == world.outsider
    assert Opportunity.objects.get(pk=world.opportunity.pk).owner == world.outsider
    assert not Activity.objects.filter(owner=world.rep, kind=ActivityKind.REMINDER, done=False).exists()
    assert Quote.objects.get(pk=world.accepted_quote.pk).owner == world.rep  # history stays
    events = AuditEvent.objects.filter(actor=world.admin)
    assert events.filter(event_type="crm.customer.reassigned", target_id=str(world.customer.pk)).exists()
    assert events.filter(event_type="crm.opportunity.reassigned", target_id=str(world.opportunity.pk)).exists()
    assert events.filter(event_type="crm.activity.reassigned").count() == 1
    completed = events.get(event_type="crm.handover.completed")
    assert completed.detail["note"] == "离职 leaves" and completed.detail["total"] == 3
    follow = client.get(response["Location"])
    assert "book is handed over" in follow.content.decode()
    assert b'data-testid="handover-empty"' in follow.content
    # the rep handed over stays chosen, though she holds nothing any more
    assert f'<option value="{world.rep.pk}" selected>' in follow.content.decode()


def test_a_book_split_between_two_colleagues(world):
    # 李雷 holds an open quote and a place on 上海精工's team
    place = AccountTeamMember.objects.get(user=world.team)
    data = {"rep": world.team.pk, "to": [world.outsider.pk, world.colleague.pk],
            f"row-quote-{world.open_quote.pk}": world.colleague.pk, f"row-team-{place.pk}": world.outsider.pk}
    response = client_for(world.admin).post("/handover/run/", data)
    assert response.status_code == 302
    assert Quote.objects.get(pk=world.open_quote.pk).owner == world.colleague
    assert AccountTeamMember.objects.filter(customer=world.customer, user=world.outsider).exists()
    assert not AccountTeamMember.objects.filter(user=world.team).exists()


def test_a_stale_preview_is_refused_and_nothing_moves(world):
    client = client_for(world.admin)
    stale = _plan_post(world, world.outsider)
    Activity.objects.create(customer=world.customer, kind=ActivityKind.REMINDER, subject="新的提醒", owner=world.rep,
                            due_at=world.opportunity.created_at)
    response = client.post("/handover/run/", stale, follow=True)
    assert "The book changed since the preview" in response.content.decode()
    assert Customer.objects.get(pk=world.customer.pk).owner == world.rep


def test_a_refused_recipient_is_named_and_nothing_moves(world):
    gone = factories.UserFactory(username="gone", is_active=False)
    keys = _book_keys(world)
    data = _plan_post(world, world.outsider, **{keys[1]: gone})
    response = client_for(world.admin, "zh-hans").post("/handover/run/", data, follow=True)
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()
    assert Customer.objects.get(pk=world.customer.pk).owner == world.rep


def test_search_follows_the_new_owner_at_once(world, django_capture_on_commit_callbacks):
    # given an internal file of the administrator's, linked to 上海精工 (王芳's customer)
    with django_capture_on_commit_callbacks(execute=True):
        price_list, _ = document_create(
            actor=world.admin, title="价目表 Price list 2027", kind="other", classification="internal",
            upload=upload(pdf_with_text("价目表 Price list\nzephyrine spindle"), "prices.pdf"))
        document_link_create(actor=world.admin, document=price_list, target=world.customer)

    def finds(user) -> bool:
        return any(row.version.document_id == price_list.pk for row in document_search(actor=user, q="zephyrine").results)

    assert finds(world.rep) and not finds(world.outsider)
    # when the book goes to 张伟 (nothing is re-indexed: the index holds the customer's team token)
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(world.admin).post("/handover/run/", _plan_post(world, world.outsider)).status_code == 302
    # then 张伟 finds the file and 王芳 no longer does
    world.rep.refresh_from_db()
    assert finds(world.outsider) and not finds(world.rep)


def test_the_book_page_costs_the_same_queries_whatever_the_size_of_the_book(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.crm.factories import CustomerFactory, QuoteFactory

    client = client_for(world.admin)
    url = f"/handover/?rep={world.rep.pk}&to={world.outsider.pk}&to={world.colleague.pk}"
    client.get(url)  # the session and language are settled

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = cost()
    for n in range(15):
        customer = CustomerFactory(name=f"客户 {n}", owner=world.rep)
        QuoteFactory(customer=customer, owner=world.rep)
        AccountTeamMember.objects.create(customer=customer, user=world.rep)
    assert cost() == small <= 12
