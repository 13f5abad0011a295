"""Bulk actions on the documents selected in a list or in search results (web/partials/bulk_bar.html):
add or remove tags, link to a CRM record, change the classification, share with a customer.

The service (backend/documents/bulk.py) checks and audits each document on its own; this page shows
what was done, what was already so, and what was refused and why. A refusal of the whole action (no
document selected, no record chosen, a record the user may not change) goes back to the list with the
reason as a message.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_POST

from backend.common.errors import InvalidInput, NotFound
from backend.crm.selectors.customers import customer_get_visible
from backend.documents import bulk
from backend.documents.bulk import BulkAction, BulkStatus, RefusalReason
from backend.documents.models import Classification
from backend.ui.errors import Refusal, message_for
from backend.web.pages import staff_page
from backend.web.views.document_edit import LINK_KINDS, TAG_SEPARATORS, picked_id

ACTIONS = (
    (BulkAction.TAG, gettext_lazy("Add or remove tags")),
    (BulkAction.LINK, gettext_lazy("Link to a record")),
    (BulkAction.CLASSIFY, gettext_lazy("Change the classification")),
    (BulkAction.SHARE, gettext_lazy("Share with a customer")),
)
DONE = {
    BulkAction.TAG: gettext_lazy("Tags changed."),
    BulkAction.LINK: gettext_lazy("Linked."),
    BulkAction.CLASSIFY: gettext_lazy("Classification changed."),
    BulkAction.SHARE: gettext_lazy("Shared."),
}
UNCHANGED = {
    BulkAction.TAG: gettext_lazy("Already tagged so."),
    BulkAction.LINK: gettext_lazy("Already linked to this record."),
    BulkAction.CLASSIFY: gettext_lazy("Already has this classification."),
    BulkAction.SHARE: gettext_lazy("Already shared with this customer."),
}
REASONS = {
    RefusalReason.NOT_FOUND: gettext_lazy("Not found, or you may not see it."),
    RefusalReason.NO_CHANGE: gettext_lazy("You may not change this document."),
    RefusalReason.NO_MANAGE: gettext_lazy("Changing the classification needs manage access."),
    RefusalReason.NO_SHARE: gettext_lazy("You may not share this document: sharing needs download access, and "
                                         "manage access when the document is confidential or secret."),
}


# The service's sentences (backend/documents/bulk.py, in English), in the catalogue for message_for.
SERVICE_MESSAGES = (
    gettext_noop("Select documents from the list."),
    gettext_noop("Select at least one document."),
    gettext_noop("Select at most 200 documents at once."),
    gettext_noop("A tag is too long."),
    gettext_noop("Name a tag to add or to remove."),
    gettext_noop("You may not change that record, so you cannot link documents to it."),
    gettext_noop("Choose a classification."),
)


def bar_context(request) -> dict:
    """What the bulk bar needs (merged into a list page's context)."""
    return {
        "bulk_actions": ACTIONS,
        "bulk_link_kinds": [(kind, label) for kind, (label, _find) in LINK_KINDS.items()],
        "bulk_classifications": Classification.choices,
        "bulk_next": request.get_full_path(),
        "bulk_today": timezone.localdate().isoformat(),
    }


def _next(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("web:search")


def _tags(text: str) -> list[str]:
    return [name.strip() for name in TAG_SEPARATORS.split(text or "") if name.strip()]


def _link_target(request):
    kind = request.POST.get("link_kind", "")
    if kind not in LINK_KINDS:
        raise InvalidInput(_("Choose what to link to."))
    _label, find = LINK_KINDS[kind]
    target_id = picked_id(request.POST, "link_target")
    if target_id is None:
        raise InvalidInput(_("Choose a record from the list."))
    try:
        return find(request.user, target_id)
    except NotFound:
        raise InvalidInput(_("Choose a record from the list.")) from None


def _share_customer(request):
    customer_id = picked_id(request.POST, "share_customer")
    if customer_id is None:
        raise InvalidInput(_("Choose a customer you can see."))
    try:
        return customer_get_visible(user=request.user, customer_id=customer_id)
    except NotFound:
        raise InvalidInput(_("Choose a customer you can see.")) from None


def _expires_at(text: str) -> dt.datetime | None:
    """The end of the chosen day in the local time zone, or None for no date."""
    text = (text or "").strip()
    if not text:
        return None
    day = parse_date(text) if len(text) == 10 else None
    if day is None:
        raise InvalidInput(_("Enter a valid date."))
    if day < timezone.localdate():
        raise InvalidInput(_("Choose a date that is not in the past."))
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)) - dt.timedelta(
        microseconds=1)


def _apply(request, action: str) -> bulk.BulkOutcome:
    user, data = request.user, request.POST
    ids = data.getlist("document")
    if action == BulkAction.TAG:
        return bulk.documents_bulk_tag(actor=user, document_ids=ids, add=_tags(data.get("tags_add", "")),
                                       remove=_tags(data.get("tags_remove", "")))
    if action == BulkAction.LINK:
        bulk.selection_ids(ids)  # nothing selected: say so before asking for a record
        return bulk.documents_bulk_link(actor=user, document_ids=ids, target=_link_target(request))
    if action == BulkAction.CLASSIFY:
        return bulk.documents_bulk_classify(actor=user, document_ids=ids, classification=data.get("classification", ""))
    if action == BulkAction.SHARE:
        bulk.selection_ids(ids)
        return bulk.documents_bulk_share(actor=user, document_ids=ids, customer=_share_customer(request),
                                         downloadable=data.get("share_downloadable") == "on",
                                         expires_at=_expires_at(data.get("share_expires", "")))
    raise InvalidInput(_("Choose an action."))


def _row(outcome: bulk.BulkOutcome, row: bulk.BulkRow) -> dict:
    if row.status == BulkStatus.DONE:
        text = DONE[outcome.action]
    elif row.status == BulkStatus.UNCHANGED:
        text = UNCHANGED[outcome.action]
    elif row.reason in REASONS:
        text = REASONS[row.reason]
    else:  # checked out by someone else, or values the service refused for this document: its own words
        text = message_for(row.error)
    return {"id": row.document_id, "document": row.document, "status": str(row.status), "text": text}


@staff_page
@require_POST
def document_bulk(request):
    """Run one action on the selected documents; the page lists each document's result."""
    action = request.POST.get("action", "")
    back = _next(request)
    with Refusal() as refusal:
        outcome = _apply(request, action)
    if refusal:
        messages.error(request, refusal.message)
        return redirect(back)
    rows = [_row(outcome, row) for row in outcome.rows]
    refused = [row for row in rows if row["status"] == BulkStatus.REFUSED]
    return render(request, "web/document_bulk.html", {
        "section": "search",
        "action_label": dict(ACTIONS)[outcome.action],
        "refused": refused,
        "others": [row for row in rows if row["status"] != BulkStatus.REFUSED],
        "done_count": len(outcome.done),
        "unchanged_count": len(outcome.unchanged),
        "refused_count": len(refused),
        "back": back,
    })
