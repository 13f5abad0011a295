"""The document page's workspace: edit the details, link and unlink records, grant and revoke access, hand
the document over. Permission matrix (no right -> 404, right -> 302, audit row present), validation
messages on the form, and the access panel explaining who can access the document and why."""

from __future__ import annotations

import pytest

from backend.access.policy import Action, can
from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.crm.models import DocumentLink
from backend.documents.models import Document
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _events(name: str, document) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=name, target_id=str(document.pk)).order_by("id"))


def _edit(user, document, language: str = "en", **changes):
    data = {"title": document.title, "description": document.description, "kind": document.kind,
            "classification": document.classification,
            "tags": ", ".join(document.tags.values_list("name", flat=True)), **changes}
    return client_for(user, language).post(f"/documents/{document.pk}/edit/", data)


# --- edit --------------------------------------------------------------------------------------


def test_edit_needs_change_access(world):
    doc = world.quote_doc
    # the outsider cannot see it; the colleague (department rule: view/download) cannot change it
    assert _edit(world.outsider, doc, title="Hacked").status_code == 404
    assert _edit(world.colleague, doc, title="Hacked").status_code == 404
    assert _edit(world.rep, world.secret_doc, title="Hacked").status_code == 404
    doc.refresh_from_db()
    assert doc.title.startswith("报价单")
    # a change grant lets the colleague fix the title, tags and kind: saved, audited
    document_permission_grant(actor=world.rep, document=doc, level="change", user=world.colleague)
    response = _edit(world.colleague, doc, title="报价单 Q-2026-0001 上海精工 (修订)", tags="报价，2026、修订",
                     kind="quote")
    assert response.status_code == 302 and response["Location"] == f"/documents/{doc.pk}/"
    doc.refresh_from_db()
    assert doc.title == "报价单 Q-2026-0001 上海精工 (修订)"
    assert sorted(doc.tags.values_list("name", flat=True)) == ["2026", "修订", "报价"]
    event = _events("document.updated", doc)[-1]
    assert event.actor_id == world.colleague.pk
    assert event.detail["changes"]["title"][1] == "报价单 Q-2026-0001 上海精工 (修订)"


def test_the_page_shows_the_edit_form_only_to_whoever_may_change(world):
    doc = world.quote_doc
    assert b'data-testid="document-edit-form"' in client_for(world.rep).get(f"/documents/{doc.pk}/").content
    assert b'data-testid="document-edit-form"' not in client_for(world.colleague).get(f"/documents/{doc.pk}/").content


def test_classification_needs_manage(world):
    doc = world.quote_doc
    document_permission_grant(actor=world.rep, document=doc, level="change", user=world.colleague)
    # with change only, the select is disabled and a forged value is ignored, not saved
    page = client_for(world.colleague).get(f"/documents/{doc.pk}/").content.decode()
    assert 'id="edit-classification" disabled' in page or ('id="edit-classification"' in page and "disabled" in page)
    assert "Changing the classification needs manage access." in page
    response = _edit(world.colleague, doc, classification="public", title="新标题")
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.classification == "internal" and doc.title == "新标题"
    # the owner (manage) raises it to confidential
    assert _edit(world.rep, doc, classification="confidential").status_code == 302
    doc.refresh_from_db()
    assert doc.classification == "confidential"
    assert _events("document.updated", doc)[-1].detail["changes"]["classification"] == ["internal", "confidential"]


@pytest.mark.parametrize("language, required, too_long", [
    ("en", "A title is required.", "Keep the title under 300 characters."),
    ("zh-hans", "标题为必填项。", "标题请少于 300 个字符。"),
])
def test_validation_messages_show_next_to_their_fields(world, language, required, too_long):
    doc = world.quote_doc
    response = _edit(world.rep, doc, language, title="   ")
    assert response.status_code == 400
    page = response.content.decode()
    assert required in page and 'id="edit-title-error"' in page
    assert 'data-testid="document-edit-form"' in page
    response = _edit(world.rep, doc, language, title="x" * 301)
    assert response.status_code == 400 and too_long in response.content.decode()
    response = _edit(world.rep, doc, language, kind="spreadsheet")
    assert response.status_code == 400 and 'id="edit-kind-error"' in response.content.decode()
    doc.refresh_from_db()
    assert doc.title.startswith("报价单")
    assert not _events("document.updated", doc)


# --- links -------------------------------------------------------------------------------------


def test_link_and_unlink_a_quote_with_the_picker_id(world):
    doc = world.contract
    client = client_for(world.rep)
    # the picker posts the id in the hidden field
    response = client.post(f"/documents/{doc.pk}/links/", {"kind": "quote", "target": world.accepted_quote.pk,
                                                          "target_q": "Q-2026-0001"})
    assert response.status_code == 302
    link = DocumentLink.objects.get(document=doc, quote=world.accepted_quote)
    assert _events("crm.document.linked", doc)[-1].actor_id == world.rep.pk
    # without JavaScript an id typed in the text box is enough
    client.post(f"/documents/{doc.pk}/links/", {"kind": "order", "target": "", "target_q": str(world.order.pk)})
    assert DocumentLink.objects.filter(document=doc, order=world.order).exists()
    page = client.get(f"/documents/{doc.pk}/").content.decode()
    assert "Q-2026-0001" in page and f'data-testid="unlink-{link.pk}"' in page
    # unlink
    assert client.post(f"/documents/{doc.pk}/links/{link.pk}/remove/").status_code == 302
    assert not DocumentLink.objects.filter(pk=link.pk).exists()
    assert _events("crm.document.unlinked", doc)


def test_linking_refuses_records_the_user_may_not_see_or_a_document_they_may_not_change(world):
    doc = world.quote_doc
    # the outsider's customer is not visible to the rep: a message, no link
    response = client_for(world.rep).post(f"/documents/{doc.pk}/links/",
                                          {"kind": "customer", "target": world.other_customer.pk}, follow=True)
    assert "Choose a record from the list." in response.content.decode()
    assert not DocumentLink.objects.filter(document=doc, customer=world.other_customer,
                                           target_type="customer").exists()
    # a user who can only view the document: 404 for link and unlink
    assert client_for(world.colleague).post(f"/documents/{doc.pk}/links/",
                                            {"kind": "customer", "target": world.customer.pk}).status_code == 404
    link = DocumentLink.objects.filter(document=world.contract).first()
    assert client_for(world.outsider).post(f"/documents/{world.contract.pk}/links/{link.pk}/remove/").status_code == 404


# --- access ------------------------------------------------------------------------------------


def test_grant_and_revoke_need_manage(world):
    doc = world.quote_doc
    for user in (world.outsider, world.colleague):
        response = client_for(user).post(f"/documents/{doc.pk}/grants/",
                                         {"principal_type": "user", "principal": world.outsider.pk, "level": "view"})
        assert response.status_code == 404
    assert not can(world.outsider, Action.VIEW, doc)
    # the owner grants the outsider download access, picked by id
    response = client_for(world.rep).post(f"/documents/{doc.pk}/grants/", {
        "principal_type": "user", "principal": world.outsider.pk, "principal_q": "张伟 (zhang.wei)",
        "level": "download"})
    assert response.status_code == 302 and response["Location"] == f"/documents/{doc.pk}/?panel=access#access"
    assert can(world.outsider, Action.DOWNLOAD, doc) and not can(world.outsider, Action.CHANGE, doc)
    assert _events("document.permission.granted", doc)[-1].detail["level"] == "download"
    # and revokes it
    response = client_for(world.rep).post(f"/documents/{doc.pk}/grants/revoke/",
                                          {"principal_type": "user", "principal": world.outsider.pk})
    assert response.status_code == 302
    assert not can(world.outsider, Action.VIEW, doc)
    assert _events("document.permission.revoked", doc)[-1].detail["removed"] == 1


def test_a_group_grant_and_the_messages_of_a_bad_grant(world):
    doc = world.contract
    north = world.outsider.department
    client = client_for(world.rep, "zh-hans")
    client.post(f"/documents/{doc.pk}/grants/", {"principal_type": "group", "principal": north.group_id,
                                                "level": "view"})
    assert can(world.outsider, Action.VIEW, doc)
    # no one picked, or an unknown level: a translated message, nothing granted
    response = client.post(f"/documents/{doc.pk}/grants/", {"principal_type": "user", "principal": "",
                                                            "principal_q": "nobody", "level": "view"}, follow=True)
    assert "从列表中选择一位同事" in response.content.decode()


def test_access_panel_explains_why_and_offers_the_forms_to_managers_only(world):
    doc = world.contract
    document_permission_grant(actor=world.rep, document=doc, level="download", user=world.colleague)
    response = client_for(world.rep).get(f"/documents/{doc.pk}/access-panel/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "because they own the document" in page and "through an explicit grant" in page
    assert "as the linked customer&#x27;s owner and account team" in page or "account team" in page
    assert f'data-testid="grant-user-{world.colleague.pk}"' in page and 'data-testid="grant-form"' in page
    assert _events("document.access.listed", doc)
    # compliance reads the explanation without the forms; others get 404
    page = client_for(world.compliance).get(f"/documents/{doc.pk}/access-panel/").content.decode()
    assert "because they own the document" in page and 'data-testid="grant-form"' not in page
    assert client_for(world.colleague).get(f"/documents/{doc.pk}/access-panel/").status_code == 404
    assert client_for(world.outsider).get(f"/documents/{doc.pk}/access-panel/").status_code == 404


def test_transfer_ownership_needs_manage_and_confirmation_and_is_audited(world):
    doc = world.quote_doc
    url = f"/documents/{doc.pk}/owner/"
    assert client_for(world.colleague).post(url, {"owner": world.colleague.pk, "confirm": "yes"}).status_code == 404
    assert client_for(world.outsider).post(url, {"owner": world.outsider.pk, "confirm": "yes"}).status_code == 404
    # not confirmed: a message, nothing changes
    response = client_for(world.rep).post(url, {"owner": world.colleague.pk}, follow=True)
    assert "Tick the box to confirm the hand-over." in response.content.decode()
    assert Document.objects.get(pk=doc.pk).owner_id == world.rep.pk
    # confirmed: the colleague owns it, the rep keeps what the department rule gives (view), audited
    response = client_for(world.rep).post(url, {"owner": world.colleague.pk, "owner_q": "陈静", "confirm": "yes"})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.owner_id == world.colleague.pk
    assert can(world.colleague, Action.MANAGE, doc) and not can(world.rep, Action.CHANGE, doc)
    event = _events("document.owner.transferred", doc)[-1]
    assert event.actor_id == world.rep.pk and event.detail["from"] == "wang.fang" and event.detail["to"] == "chen.jing"


def test_a_hand_over_that_leaves_the_previous_owner_without_access_goes_home(world):
    doc = world.contract  # confidential: the department rule gives the rep nothing once he is not the owner
    response = client_for(world.rep).post(f"/documents/{doc.pk}/owner/",
                                          {"owner": world.admin.pk, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Document.objects.get(pk=doc.pk).owner_id == world.admin.pk


def test_portal_users_are_never_owners_or_grantees(world):
    from tests.portal_factories import portal_user

    contact = portal_user(world.customer)
    doc = world.quote_doc
    client = client_for(world.rep)
    response = client.post(f"/documents/{doc.pk}/owner/", {"owner": contact.pk, "confirm": "yes"}, follow=True)
    assert "Choose a colleague from the list." in response.content.decode()
    client.post(f"/documents/{doc.pk}/grants/", {"principal_type": "user", "principal": contact.pk, "level": "view"})
    assert Document.objects.get(pk=doc.pk).owner_id == world.rep.pk
    assert not _events("document.permission.granted", doc)
