"""Bulk actions on a selection of documents (backend/documents/bulk.py): each document is checked and
audited on its own through the per-document services, a refusal never stops the others, and the outcome
says per document what was done, what was already so, and what was refused and why. A hidden document
is reported like a missing one, by its id alone."""

from __future__ import annotations

import pytest

from backend.access.policy import Action, can
from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import DocumentLink
from backend.documents import bulk
from backend.documents.bulk import BulkStatus, RefusalReason
from backend.documents.services import document_checkout
from backend.sharing.models import DocumentShare
from tests.web.world import build_world

pytestmark = pytest.mark.django_db

MISSING_ID = 987_654_321


@pytest.fixture
def world(db):
    return build_world()


def _tags(document) -> list[str]:
    return sorted(document.tags.values_list("name", flat=True))


def _statuses(outcome) -> dict[int, tuple[str, str | None]]:
    return {row.document_id: (str(row.status), str(row.reason) if row.reason else None) for row in outcome.rows}


def _events(name: str, document=None) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(event_type=name)
    if document is not None:
        events = events.filter(target_id=str(document.pk))
    return list(events.order_by("id"))


def _bulk_event() -> AuditEvent:
    return AuditEvent.objects.filter(event_type="document.bulk.applied").latest("id")


# --- tags ------------------------------------------------------------------------------------------


def test_tags_are_added_to_each_visible_document_and_the_rest_reported_by_id(world):
    # given the rep's two documents, the admin's secret minutes she may not see, and an id nobody has
    ids = [world.quote_doc.pk, world.contract.pk, world.secret_doc.pk, MISSING_ID]

    # when she adds the tag 2026-Q4 to all of them
    outcome = bulk.documents_bulk_tag(actor=world.rep, document_ids=[str(i) for i in ids], add=["2026-Q4"])

    # then her documents carry it, each change audited as an ordinary update
    assert _statuses(outcome) == {
        world.quote_doc.pk: ("done", None), world.contract.pk: ("done", None),
        world.secret_doc.pk: ("refused", "not_found"), MISSING_ID: ("refused", "not_found")}
    assert "2026-Q4" in _tags(world.quote_doc) and _tags(world.contract) == ["2026-Q4"]
    assert _tags(world.secret_doc) == []
    assert _events("document.updated", world.contract)[-1].detail["changes"]["tags"] == [[], ["2026-Q4"]]
    # and the hidden document is reported exactly like the missing one: no title, its denial recorded
    hidden = next(row for row in outcome.rows if row.document_id == world.secret_doc.pk)
    assert hidden.document is None
    assert _events("document.access.denied", world.secret_doc)[-1].actor_id == world.rep.pk
    # and one event records the whole run
    event = _bulk_event()
    assert event.actor_id == world.rep.pk and event.target_type == "documents.selection"
    assert event.detail["action"] == "tag" and event.detail["parameters"] == {"add": ["2026-Q4"], "remove": []}
    assert event.detail["done"] == [world.quote_doc.pk, world.contract.pk]
    assert event.detail["refused"] == [{"id": world.secret_doc.pk, "reason": "not_found"},
                                       {"id": MISSING_ID, "reason": "not_found"}]


def test_a_tag_already_there_leaves_the_document_unchanged_and_tags_can_be_removed(world):
    # given the quote document tagged 报价 and 2026
    assert _tags(world.quote_doc) == ["2026", "报价"]
    updates = len(_events("document.updated", world.quote_doc))

    # when 报价 is added again: nothing changes, nothing is recorded as an update
    outcome = bulk.documents_bulk_tag(actor=world.rep, document_ids=[world.quote_doc.pk], add=["报价"])
    assert _statuses(outcome) == {world.quote_doc.pk: ("unchanged", None)}
    assert len(_events("document.updated", world.quote_doc)) == updates

    # when 2026 is removed and 2027 added, the same selection twice (each document once)
    outcome = bulk.documents_bulk_tag(actor=world.rep, document_ids=[world.quote_doc.pk, world.quote_doc.pk],
                                      add=["2027"], remove=["2026"])
    assert _statuses(outcome) == {world.quote_doc.pk: ("done", None)}
    assert _tags(world.quote_doc) == ["2027", "报价"]


def test_tagging_needs_change_access_on_each_document(world):
    # given 陈静, who may view the rep's internal quote document (same department) but not change it
    assert can(world.colleague, Action.VIEW, world.quote_doc)
    assert not can(world.colleague, Action.CHANGE, world.quote_doc)

    # when she tags it
    outcome = bulk.documents_bulk_tag(actor=world.colleague, document_ids=[world.quote_doc.pk], add=["x"])

    # then it is refused for want of change access, named (she may see it), and the denial recorded
    row = outcome.rows[0]
    assert (row.status, row.reason) == (BulkStatus.REFUSED, RefusalReason.NO_CHANGE)
    assert row.document.pk == world.quote_doc.pk
    assert "x" not in _tags(world.quote_doc)
    assert _events("document.access.denied", world.quote_doc)[-1].detail == {"action": "change"}


def test_a_document_checked_out_by_someone_else_is_refused_as_locked_and_the_others_go_on(world):
    # given 陈静 may change the contract and has it checked out
    document_permission_grant(actor=world.rep, document=world.contract, level="change", user=world.colleague)
    document_checkout(actor=world.colleague, document=world.contract)

    # when the rep tags the contract and the quote document
    outcome = bulk.documents_bulk_tag(actor=world.rep, document_ids=[world.contract.pk, world.quote_doc.pk],
                                      add=["签约"])

    # then the contract is refused as locked (the lock's holder in the error), the quote document tagged
    assert _statuses(outcome) == {world.contract.pk: ("refused", "locked"), world.quote_doc.pk: ("done", None)}
    assert _tags(world.contract) == [] and "签约" in _tags(world.quote_doc)
    assert _bulk_event().detail["refused"][0]["reason"] == "locked"


@pytest.mark.parametrize("ids, message", [
    ([], "Select at least one document."),
    (["12", "abc"], "The selection is invalid."),
    ([str(i) for i in range(1, bulk.MAX_SELECTION + 2)], "Select at most 200 documents at once."),
])
def test_the_selection_must_name_between_one_and_the_limit_of_documents(world, ids, message):
    with pytest.raises(InvalidInput) as refused:
        bulk.documents_bulk_tag(actor=world.rep, document_ids=ids, add=["x"])
    assert refused.value.message == message
    assert not AuditEvent.objects.filter(event_type="document.bulk.applied").exists()


def test_a_tag_to_add_or_remove_is_required(world):
    with pytest.raises(InvalidInput):
        bulk.documents_bulk_tag(actor=world.rep, document_ids=[world.quote_doc.pk], add=[" "], remove=[])


def test_only_active_staff_run_bulk_actions(world):
    world.rep.is_active = False
    world.rep.save()
    with pytest.raises(NotFound):
        bulk.documents_bulk_tag(actor=world.rep, document_ids=[world.quote_doc.pk], add=["x"])


# --- classification ----------------------------------------------------------------------------------


def test_changing_the_classification_needs_manage_on_each_document(world):
    # given 陈静 may change (not manage) the quote document; the rep owns both documents
    document_permission_grant(actor=world.rep, document=world.quote_doc, level="change", user=world.colleague)

    # when 陈静 raises it to confidential: refused, for want of manage access
    outcome = bulk.documents_bulk_classify(actor=world.colleague, document_ids=[world.quote_doc.pk],
                                           classification="confidential")
    assert _statuses(outcome) == {world.quote_doc.pk: ("refused", "no_manage_access")}
    world.quote_doc.refresh_from_db()
    assert world.quote_doc.classification == "internal"

    # when the rep makes both confidential: the quote document changes, the contract already is
    outcome = bulk.documents_bulk_classify(actor=world.rep, document_ids=[world.quote_doc.pk, world.contract.pk],
                                           classification="confidential")
    assert _statuses(outcome) == {world.quote_doc.pk: ("done", None), world.contract.pk: ("unchanged", None)}
    world.quote_doc.refresh_from_db()
    assert world.quote_doc.classification == "confidential"
    assert _events("document.updated", world.quote_doc)[-1].detail["changes"]["classification"] == [
        "internal", "confidential"]


def test_an_unknown_classification_is_refused_as_a_whole(world):
    with pytest.raises(InvalidInput):
        bulk.documents_bulk_classify(actor=world.rep, document_ids=[world.quote_doc.pk], classification="top")


# --- links --------------------------------------------------------------------------------------------


def test_documents_are_linked_to_a_record_each_once(world):
    # given the contract already linked to the customer, the quote document not
    assert DocumentLink.objects.filter(document=world.contract, target_type="customer").exists()
    assert not DocumentLink.objects.filter(document=world.quote_doc, target_type="customer").exists()

    # when the rep links both to the customer
    outcome = bulk.documents_bulk_link(actor=world.rep, document_ids=[world.quote_doc.pk, world.contract.pk],
                                       target=world.customer)

    # then the quote document is linked (audited), the contract was already
    assert _statuses(outcome) == {world.quote_doc.pk: ("done", None), world.contract.pk: ("unchanged", None)}
    assert DocumentLink.objects.filter(document=world.quote_doc, target_type="customer",
                                       customer=world.customer).count() == 1
    assert _events("crm.document.linked", world.quote_doc)[-1].detail["target_id"] == world.customer.pk
    assert _bulk_event().detail["parameters"]["target_id"] == world.customer.pk


def test_linking_to_a_record_the_actor_may_not_change_is_refused_as_a_whole(world):
    # given another rep's customer the rep may not change
    assert not can(world.rep, Action.CHANGE, world.other_customer)
    with pytest.raises(InvalidInput):
        bulk.documents_bulk_link(actor=world.rep, document_ids=[world.quote_doc.pk], target=world.other_customer)
    assert not DocumentLink.objects.filter(customer=world.other_customer).exists()


def test_linking_needs_change_access_on_each_document(world):
    # given 李雷 on the customer's account team: he may change the customer and see the quote document,
    # not change it
    assert can(world.team, Action.CHANGE, world.customer)
    assert can(world.team, Action.VIEW, world.quote_doc) and not can(world.team, Action.CHANGE, world.quote_doc)

    # when he links the quote document to the customer
    outcome = bulk.documents_bulk_link(actor=world.team, document_ids=[world.quote_doc.pk], target=world.customer)

    # then it is refused for want of change access on the document, and nothing is linked
    assert _statuses(outcome) == {world.quote_doc.pk: ("refused", "no_change_access")}
    assert not DocumentLink.objects.filter(document=world.quote_doc, target_type="customer").exists()


# --- shares -------------------------------------------------------------------------------------------


def test_documents_are_shared_with_a_customer_each_once(world):
    # given the quote document (internal, approved v1)
    # when the rep shares it with the customer, twice
    outcome = bulk.documents_bulk_share(actor=world.rep, document_ids=[world.quote_doc.pk], customer=world.customer,
                                        downloadable=False)
    assert _statuses(outcome) == {world.quote_doc.pk: ("done", None)}
    share = DocumentShare.objects.get(document=world.quote_doc, customer=world.customer)
    assert share.downloadable is False and share.created_by_id == world.rep.pk
    assert _events("document.share.created", world.quote_doc)[-1].customer_id == world.customer.pk
    again = bulk.documents_bulk_share(actor=world.rep, document_ids=[world.quote_doc.pk], customer=world.customer)
    # then the second run leaves the share in force as it is
    assert _statuses(again) == {world.quote_doc.pk: ("unchanged", None)}
    assert DocumentShare.objects.filter(document=world.quote_doc, customer=world.customer).count() == 1


def test_sharing_a_confidential_document_needs_manage_on_it(world):
    # given 陈静 may download the confidential contract (a grant) but not manage it
    document_permission_grant(actor=world.rep, document=world.contract, level="download", user=world.colleague)
    assert can(world.colleague, Action.VIEW, world.customer)

    # when she shares it and the quote document with the customer
    outcome = bulk.documents_bulk_share(actor=world.colleague, document_ids=[world.contract.pk, world.quote_doc.pk],
                                        customer=world.customer)

    # then the contract is refused (sharing needs manage when confidential), the quote document shared
    assert _statuses(outcome) == {world.contract.pk: ("refused", "no_share_access"),
                                  world.quote_doc.pk: ("done", None)}
    assert not DocumentShare.objects.filter(document=world.contract).exists()
    denied = _events("document.access.denied", world.contract)[-1]
    assert denied.actor_id == world.colleague.pk and denied.detail == {"action": "share"}
