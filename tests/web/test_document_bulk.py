"""The bulk bar on the search results and its page (POST /documents/bulk/): who may use it, what the page
reports per document (done, already so, refused and why) in both languages, and what it never reveals
(a hidden document's title)."""

from __future__ import annotations

import pytest

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.crm.models import DocumentLink
from backend.sharing.models import DocumentShare
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

URL = "/documents/bulk/"


def _post(user, language: str = "en", **data):
    data.setdefault("next", "/search/?q=%E6%8A%A5%E4%BB%B7")
    return client_for(user, language).post(URL, data)


def _row(page: str, document_id: int) -> str:
    start = page.index(f'data-testid="bulk-row-{document_id}"')
    return page[start:page.index("</tr>", start)]


# --- who may use it ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in_and_portal_users_get_404(world, client):
    response = client.post(URL, {"action": "tag", "document": [world.quote_doc.pk], "tags_add": "x"})
    assert response.status_code == 302 and "/signin/" in response["Location"]
    customer_user = portal_user(world.customer)
    assert _post(customer_user, action="tag", document=[world.quote_doc.pk], tags_add="x").status_code == 404
    assert "x" not in world.quote_doc.tags.values_list("name", flat=True)
    assert client_for(world.rep).get(URL).status_code == 405


def test_the_search_results_carry_the_bar_and_a_checkbox_per_document(world):
    page = client_for(world.rep).get("/search/", {"q": "报价单"}).content.decode()
    assert 'data-testid="bulk-bar"' in page and 'action="/documents/bulk/"' in page
    assert f'data-testid="bulk-pick-{world.quote_doc.pk}"' in page
    assert 'form="bulk-form"' in page and "web/bulk.js" in page
    # nothing found: no bar
    page = client_for(world.rep).get("/search/", {"q": "nothing-matches-this"}).content.decode()
    assert 'data-testid="bulk-bar"' not in page


def test_the_customer_page_lists_its_documents_with_the_bar_and_comes_back_to_it(world):
    url = f"/customers/{world.customer.pk}/"
    page = client_for(world.rep).get(url).content.decode()
    assert 'data-testid="bulk-bar"' in page and f'data-testid="bulk-pick-{world.contract.pk}"' in page
    assert f'name="next" value="{url}"' in page and "web/bulk.js" in page
    response = _post(world.rep, action="tag", document=[world.contract.pk], tags_add="签约", next=url)
    assert f'href="{url}"' in response.content.decode()


# --- tags: done, refused, hidden ---------------------------------------------------------------------


def test_tagging_reports_each_document_and_never_names_a_hidden_one(world):
    # given the rep's quote document, the admin's secret minutes (hidden from her) and 陈静's view-only sight
    # when the rep tags her document and the hidden one
    response = _post(world.rep, action="tag", document=[world.quote_doc.pk, world.secret_doc.pk],
                     tags_add="待审，2026-Q4")

    # then the page says the quote document changed and the other was not found, by its id only
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 changed" in page and "1 refused" in page
    assert "Tags changed." in _row(page, world.quote_doc.pk)
    hidden = _row(page, world.secret_doc.pk)
    assert f"#{world.secret_doc.pk}" in hidden and "Not found, or you may not see it." in hidden
    assert "Board minutes" not in page and "董事会" not in page
    assert sorted(world.quote_doc.tags.values_list("name", flat=True)) == ["2026", "2026-Q4", "待审", "报价"]
    # and the run is in the audit trail, with the change itself
    event = AuditEvent.objects.filter(event_type="document.bulk.applied").latest("id")
    assert event.actor_id == world.rep.pk and event.detail["done"] == [world.quote_doc.pk]
    assert AuditEvent.objects.filter(event_type="document.updated", target_id=str(world.quote_doc.pk)).exists()
    # and the way back is the list it came from
    assert 'href="/search/?q=%E6%8A%A5%E4%BB%B7"' in page


def test_the_page_says_why_in_chinese(world):
    # given 陈静 may see the quote document (department) but neither change nor manage it
    response = _post(world.colleague, "zh-hans", action="classify", document=[world.quote_doc.pk],
                     classification="public")
    page = response.content.decode()
    assert response.status_code == 200
    assert "修改密级需要管理权限。" in _row(page, world.quote_doc.pk)
    assert "1 篇被拒绝" in page and "返回列表" in page
    world.quote_doc.refresh_from_db()
    assert world.quote_doc.classification == "internal"


# --- the other actions ---------------------------------------------------------------------------------


def test_link_through_the_picker_and_share_with_a_customer(world):
    # when the rep links the quote document and the contract to the customer (the picker's hidden id)
    response = _post(world.rep, action="link", document=[world.quote_doc.pk, world.contract.pk],
                     link_kind="customer", link_target=str(world.customer.pk), link_target_q="上海精工")
    page = response.content.decode()
    assert "Linked." in _row(page, world.quote_doc.pk)
    assert "Already linked to this record." in _row(page, world.contract.pk)
    assert DocumentLink.objects.filter(document=world.quote_doc, target_type="customer").exists()

    # when she shares the quote document with the customer, view only
    response = _post(world.rep, action="share", document=[world.quote_doc.pk],
                     share_customer=str(world.customer.pk))
    assert "Shared." in _row(response.content.decode(), world.quote_doc.pk)
    share = DocumentShare.objects.get(document=world.quote_doc, customer=world.customer)
    assert share.downloadable is False  # the box was not ticked


def test_sharing_a_confidential_document_without_manage_is_refused_with_the_reason(world):
    document_permission_grant(actor=world.rep, document=world.contract, level="download", user=world.colleague)
    response = _post(world.colleague, action="share", document=[world.contract.pk],
                     share_customer=str(world.customer.pk), share_downloadable="on")
    assert "You may not share this document" in _row(response.content.decode(), world.contract.pk)
    assert not DocumentShare.objects.filter(document=world.contract).exists()


# --- refusals of the whole action: back to the list with the reason -------------------------------------


@pytest.mark.parametrize("data, message", [
    ({"action": "tag", "tags_add": "x"}, "Select at least one document."),
    ({"action": "link", "link_kind": "customer"}, "Choose a record from the list."),
    ({"action": "share", "share_customer_q": "nobody"}, "Choose a customer you can see."),
    ({"action": "tag", "tags_add": " "}, "Name a tag to add or to remove."),
    ({"action": "explode"}, "Choose an action."),
])
def test_a_refused_action_goes_back_to_the_list_with_the_reason(world, data, message):
    if data.get("action") != "tag" or data.get("tags_add") != "x":
        data = {**data, "document": [world.quote_doc.pk]}
    client = client_for(world.rep)
    response = client.post(URL, {"next": "/search/?q=x", **data}, follow=True)
    assert response.redirect_chain[0] == ("/search/?q=x", 302)
    assert message in response.content.decode()


def test_a_link_to_a_customer_the_user_cannot_see_is_refused(world):
    response = _post(world.rep, action="link", document=[world.quote_doc.pk], link_kind="customer",
                     link_target=str(world.other_customer.pk))
    assert response.status_code == 302
    assert not DocumentLink.objects.filter(customer=world.other_customer).exists()


def test_the_way_back_never_leaves_the_site(world):
    response = _post(world.rep, action="tag", next="https://evil.example/", tags_add="x")
    assert response.status_code == 302 and response["Location"] == "/search/"
