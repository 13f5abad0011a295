"""Retention policies and the disposal review: every write of both, each audited in its own transaction.

A retention policy says how long documents of one kind (and classification; blank: any) are kept,
counted from a CRM event:

    order_closed      a contract is kept until its order is fulfilled or cancelled, plus the period
    opportunity_lost  a bid is kept until its opportunity is lost, plus the period (never while it is
                      open, nor once it is won)
    product_retired   product material is kept while its product is active, plus the period
    created           the document's own creation date, plus the period

The refresh (`retention_refresh`, the beat task documents.retention_refresh) computes each document's
disposal date from the CRM as it is now (orders and opportunities the document is linked to, through
DocumentLink, an order's contract or a quote's file; the close of an order read from the audit trail).
Documents whose date has come go to the disposal review queue (state "due"): compliance approves —
the document is purged through the trash's `document_purge`, which never passes over a legal hold — or
keeps it longer until a date, with a reason. The `DocumentRetention` row outlives the document, and the
audit event `document.disposal.approved` is the disposal record: what, under which policy and why, who.

Which product a piece of product material describes is set per document (`retention_product_set`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.access.policy.retention import (
    may_manage_retention_policies,
    may_review_disposals,
    may_set_retention_product,
)
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, PermissionDenied
from backend.documents.audit_events import (
    DOCUMENT_DISPOSAL_APPROVED,
    DOCUMENT_DISPOSAL_DUE,
    DOCUMENT_DISPOSAL_EXTENDED,
    DOCUMENT_RETENTION_POLICY_SAVED,
    DOCUMENT_RETENTION_PRODUCT_SET,
)
from backend.documents.models import (
    Classification,
    DisposalState,
    Document,
    DocumentKind,
    DocumentRetention,
    RetentionPolicy,
    RetentionTrigger,
    RetentionUnit,
)

# The services' sentences, translated where the web shows them (backend/ui/errors.py).
RETENTION_MESSAGES = (
    gettext_noop("A policy for this kind and classification exists already."),
    gettext_noop("Choose a date after today."),
    gettext_noop("Enter a whole number of at least 1."),
    gettext_noop("Give a reason for keeping it."),
    gettext_noop("The document is no longer due for disposal."),
    gettext_noop("Only product material describes a product."),
)

DISPOSAL_DUE_TITLE = gettext_noop("Documents due for disposal review: %(count)s")
DISPOSAL_DUE_BODY = gettext_noop("Their retention period has ended. Dispose of each for good, or keep it longer "
                                 "with a reason.")

ORDER_STATUS_CHANGED = "crm.order.status_changed"
PRODUCT_UPDATED = "crm.product.updated"
CLOSED_ORDER_STATUSES = ("fulfilled", "cancelled")
BATCH = 500
MAX_PERIOD = 1200  # a hundred years in months; no policy needs more


# --- dates -----------------------------------------------------------------------------------------


def add_period(start: dt.date, period: int, unit: str) -> dt.date:
    """`start` plus `period` days, months or years; the 31st plus a month is the month's last day
    (29 February plus a year is 28 February)."""
    if unit == RetentionUnit.DAYS:
        return start + dt.timedelta(days=period)
    months = period * 12 if unit == RetentionUnit.YEARS else period
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _local_date(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


# --- policies --------------------------------------------------------------------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def _clean_policy(fields: dict) -> dict:
    errors: dict[str, list[str]] = {}
    name = str(fields.get("name") or "").strip()
    if not name:
        errors["name"] = ["A name is required."]
    kind = fields.get("kind")
    if kind not in DocumentKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(DocumentKind.values)}."]
    classification = fields.get("classification") or ""
    if classification and classification not in Classification.values:
        errors["classification"] = [f"Choose one of: {', '.join(Classification.values)}."]
    trigger = fields.get("trigger")
    if trigger not in RetentionTrigger.values:
        errors["trigger"] = [f"Choose one of: {', '.join(RetentionTrigger.values)}."]
    unit = fields.get("unit") or RetentionUnit.YEARS
    if unit not in RetentionUnit.values:
        errors["unit"] = [f"Choose one of: {', '.join(RetentionUnit.values)}."]
    try:
        period = int(str(fields.get("period", "")).strip())
    except ValueError:
        period = 0
    if not 1 <= period <= (MAX_PERIOD * 31 if unit == RetentionUnit.DAYS else MAX_PERIOD):
        errors["period"] = ["Enter a whole number of at least 1."]
    if errors:
        raise InvalidInput("The policy is not valid.", fields=errors)
    return {"name": name[:120], "kind": kind, "classification": classification, "trigger": trigger,
            "period": period, "unit": unit, "active": bool(fields.get("active", True))}


def _policy_detail(policy: RetentionPolicy) -> dict:
    return {"name": policy.name, "kind": policy.kind, "classification": policy.classification or "any",
            "trigger": policy.trigger, "period": policy.period, "unit": policy.unit, "active": policy.active}


def retention_policy_save(*, actor, policy: RetentionPolicy | None = None, **fields) -> RetentionPolicy:
    """Create a retention policy (policy=None) or change one: name, kind, classification (blank: any),
    trigger, period, unit, active. One policy per kind and classification. Audited with what changed.
    The documents' dates follow at the next refresh."""
    _require(may_manage_retention_policies(actor))
    clean = _clean_policy(fields)
    duplicate = InvalidInput("A policy for this kind and classification exists already.",
                             fields={"classification": ["A policy for this kind and classification exists already."]})
    try:
        with transaction.atomic():
            if policy is None:
                saved = RetentionPolicy.objects.create(created_by=actor, **clean)
                changes = None
            else:
                saved = RetentionPolicy.objects.select_for_update().get(pk=policy.pk)
                changes = {key: [getattr(saved, key), value] for key, value in clean.items()
                           if getattr(saved, key) != value}
                for key, value in clean.items():
                    setattr(saved, key, value)
                saved.updated_at = timezone.now()
                saved.save()
            detail = _policy_detail(saved)
            if changes is not None:
                detail["changes"] = changes
            audit.record(DOCUMENT_RETENTION_POLICY_SAVED, actor=actor, target=saved, detail=detail)
    except IntegrityError:
        raise duplicate from None
    return saved


# --- product material ------------------------------------------------------------------------------


def _snapshot(document: Document) -> dict:
    return {"document_title": document.title[:300], "document_kind": document.kind,
            "document_classification": document.classification}


def retention_product_set(*, actor, document: Document, product) -> DocumentRetention:
    """Say which product a piece of product material describes (None: none); it is then kept while that
    product is active, plus its policy's period."""
    _require(may_set_retention_product(actor, document))
    if document.kind != DocumentKind.PRODUCT_MATERIAL:
        raise InvalidInput("Only product material describes a product.",
                           fields={"product": ["Only product material describes a product."]})
    with transaction.atomic():
        row, _created = DocumentRetention.objects.select_for_update().get_or_create(
            document=document, defaults=_snapshot(document))
        previous = row.product
        row.product = product
        row.save(update_fields=["product"])
        audit.record(DOCUMENT_RETENTION_PRODUCT_SET, actor=actor, target=document, detail={
            "product": product.code if product else None, "previous": previous.code if previous else None})
    return row


# --- computing disposal dates ----------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """What a document's policy gives today: a state, the event counted from and the disposal date."""

    state: str
    event_on: dt.date | None = None
    event_label: str = ""
    due_on: dt.date | None = None


@dataclass
class RefreshResult:
    documents: int = 0
    waiting: int = 0
    scheduled: int = 0
    due: int = 0
    newly_due: list[int] = field(default_factory=list)


def _policy_for(document: Document, policies: dict[tuple[str, str], RetentionPolicy]) -> RetentionPolicy | None:
    """The active policy naming the document's kind and classification, else its kind and any."""
    return policies.get((document.kind, document.classification)) or policies.get((document.kind, ""))


def _active_policies() -> dict[tuple[str, str], RetentionPolicy]:
    return {(p.kind, p.classification): p for p in RetentionPolicy.objects.filter(active=True)}


class _CrmFacts:
    """What the CRM says about a batch of documents, read in a few queries (never per document)."""

    def __init__(self, document_ids: list[int], product_ids: Iterable[int]):
        from backend.audit.models import AuditEvent
        from backend.crm.models import DocumentLink, LinkTarget, Opportunity, Order, Product, Quote

        self.orders: dict[int, dict[int, object]] = defaultdict(dict)
        for order in Order.objects.filter(contract_document_id__in=document_ids):
            self.orders[order.contract_document_id][order.pk] = order
        opportunity_ids: dict[int, set[int]] = defaultdict(set)
        links = DocumentLink.objects.filter(document_id__in=document_ids).filter(
            Q(target_type=LinkTarget.ORDER) | Q(target_type=LinkTarget.OPPORTUNITY) | Q(target_type=LinkTarget.QUOTE)
        ).select_related("order", "quote")
        for link in links:
            if link.target_type == LinkTarget.ORDER:
                self.orders[link.document_id][link.order_id] = link.order
            elif link.target_type == LinkTarget.OPPORTUNITY:
                opportunity_ids[link.document_id].add(link.opportunity_id)
            elif link.quote.opportunity_id:
                opportunity_ids[link.document_id].add(link.quote.opportunity_id)
        for document_id, opportunity_id in Quote.objects.filter(
                document_id__in=document_ids, opportunity__isnull=False).values_list("document_id", "opportunity_id"):
            opportunity_ids[document_id].add(opportunity_id)
        wanted = {pk for ids in opportunity_ids.values() for pk in ids}
        by_id = {o.pk: o for o in Opportunity.objects.filter(pk__in=wanted)}
        self.opportunities = {doc: [by_id[pk] for pk in sorted(ids) if pk in by_id]
                              for doc, ids in opportunity_ids.items()}

        # When each closed order closed, and each retired product retired: the audit trail's newest
        # status change to a final status (or retirement); without one, the order's own dates.
        order_ids = [str(pk) for orders in self.orders.values() for pk in orders]
        self.order_closed_on: dict[int, dt.date] = {}
        for target_id, occurred_at, detail in AuditEvent.objects.filter(
                event_type=ORDER_STATUS_CHANGED, target_type="crm.order", target_id__in=order_ids
        ).order_by("occurred_at", "id").values_list("target_id", "occurred_at", "detail"):
            if (detail or {}).get("to") in CLOSED_ORDER_STATUSES:
                self.order_closed_on[int(target_id)] = _local_date(occurred_at)
        product_ids = list(product_ids)
        self.products = Product.objects.in_bulk(product_ids)
        self.product_retired_on: dict[int, dt.date] = {}
        for target_id, occurred_at, detail in AuditEvent.objects.filter(
                event_type=PRODUCT_UPDATED, target_type="crm.product", target_id__in=[str(pk) for pk in product_ids]
        ).order_by("occurred_at", "id").values_list("target_id", "occurred_at", "detail"):
            active = ((detail or {}).get("changes") or {}).get("active")
            if isinstance(active, list) and len(active) == 2 and active[1] is False:
                self.product_retired_on[int(target_id)] = _local_date(occurred_at)

    def order_closed(self, order) -> dt.date:
        return self.order_closed_on.get(order.pk) or order.signed_date or _local_date(order.created_at)


def compute_schedule(document: Document, policy: RetentionPolicy | None, facts: _CrmFacts,
                     product_id: int | None) -> Schedule:
    """The document's disposal date under `policy`, from the CRM facts (WAITING while the event has not
    happened, or never will: an open order, an open or won opportunity, an active product, no link)."""
    if policy is None:
        return Schedule(DisposalState.WAITING)
    trigger = policy.trigger
    if trigger == RetentionTrigger.CREATED:
        event_on, label = _local_date(document.created_at), ""
    elif trigger == RetentionTrigger.ORDER_CLOSED:
        orders = list(facts.orders.get(document.pk, {}).values())
        if not orders or any(order.status not in CLOSED_ORDER_STATUSES for order in orders):
            return Schedule(DisposalState.WAITING, event_label=", ".join(sorted(o.number for o in orders)))
        last = max(orders, key=lambda order: (facts.order_closed(order), order.pk))
        event_on, label = facts.order_closed(last), last.number
    elif trigger == RetentionTrigger.OPPORTUNITY_LOST:
        opportunities = facts.opportunities.get(document.pk, [])
        if not opportunities or any(o.stage != "lost" or o.closed_at is None for o in opportunities):
            return Schedule(DisposalState.WAITING, event_label=", ".join(o.title for o in opportunities)[:300])
        last = max(opportunities, key=lambda o: (o.closed_at, o.pk))
        event_on, label = _local_date(last.closed_at), last.title
    else:  # PRODUCT_RETIRED
        product = facts.products.get(product_id) if product_id else None
        if product is None or product.active:
            return Schedule(DisposalState.WAITING, event_label=str(product) if product else "")
        event_on = facts.product_retired_on.get(product.pk) or _local_date(product.updated_at)
        label = str(product)
    return Schedule(DisposalState.SCHEDULED, event_on=event_on, event_label=label[:300],
                    due_on=add_period(event_on, policy.period, policy.unit))


def _documents_in_scope():
    """Documents the refresh looks at: every one not in the trash (the trash purges those itself)."""
    return Document.objects.filter(trashed_at__isnull=True)


def retention_refresh(*, today: dt.date | None = None) -> RefreshResult:
    """Recompute every document's disposal date and put those whose date has come in the review queue.

    Idempotent: a second pass changes nothing. A date kept by a review (extended_until) is never brought
    forward. A document that enters the queue is audited once (document.disposal.due, by the system)."""
    today = today or timezone.localdate()
    policies = _active_policies()
    result = RefreshResult()
    last_id = 0
    while True:
        documents = list(_documents_in_scope().filter(pk__gt=last_id).order_by("pk")
                         .only("pk", "title", "kind", "classification", "created_at")[:BATCH])
        if not documents:
            break
        last_id = documents[-1].pk
        _refresh_batch(documents, policies, today, result)
    if result.newly_due:
        with transaction.atomic():
            _tell_compliance(len(result.newly_due), today)
    return result


def _tell_compliance(count: int, today: dt.date) -> None:
    """One notification to the compliance officers for what a pass put in the queue (once a day)."""
    from django.urls import reverse

    from backend.accounts.models import Role, User
    from backend.documents.notification_kinds import DOCUMENT_DISPOSAL_DUE
    from backend.notifications.services import notify

    officers = User.objects.filter(role=Role.COMPLIANCE, is_active=True)
    notify(kind=DOCUMENT_DISPOSAL_DUE, recipients=officers,
           title=(DISPOSAL_DUE_TITLE, {"count": count}), body=(DISPOSAL_DUE_BODY, {}),
           link=reverse("web:disposal_review"), once_key=f"disposal-due-{today.isoformat()}")


def _refresh_batch(documents: list[Document], policies, today: dt.date, result: RefreshResult) -> None:
    ids = [d.pk for d in documents]
    with transaction.atomic():
        rows = {row.document_id: row for row in DocumentRetention.objects.select_for_update().filter(document_id__in=ids)}
        facts = _CrmFacts(ids, {row.product_id for row in rows.values() if row.product_id})
        new_rows, changed, newly_due = [], [], []
        now = timezone.now()
        for document in documents:
            policy = _policy_for(document, policies)
            row = rows.get(document.pk)
            if policy is None and row is None:
                continue
            schedule = compute_schedule(document, policy, facts, row.product_id if row else None)
            due_on = schedule.due_on
            if due_on is not None and row is not None and row.extended_until and row.extended_until > due_on:
                due_on = row.extended_until
            state = schedule.state
            if state == DisposalState.SCHEDULED and due_on <= today:
                state = DisposalState.DUE
            values = {"policy": policy, "state": state, "event_on": schedule.event_on,
                      "event_label": schedule.event_label, "due_on": due_on, **_snapshot(document)}
            result.documents += 1
            setattr(result, state, getattr(result, state) + 1)
            if row is None:
                row = DocumentRetention(document=document, computed_at=now, **values)
                new_rows.append(row)
                if state == DisposalState.DUE:
                    newly_due.append(row)
                continue
            differs = any(getattr(row, key if key != "policy" else "policy_id")
                          != (value.pk if key == "policy" and value is not None else value)
                          for key, value in values.items())
            if differs:
                if state == DisposalState.DUE and row.state != DisposalState.DUE:
                    newly_due.append(row)
                for key, value in values.items():
                    setattr(row, key, value)
                row.computed_at = now
                changed.append(row)
        DocumentRetention.objects.bulk_create(new_rows)
        DocumentRetention.objects.bulk_update(changed, ["policy", "state", "event_on", "event_label", "due_on",
                                                        "document_title", "document_kind",
                                                        "document_classification", "computed_at"])
        for row in newly_due:
            result.newly_due.append(row.document_id)
            audit.record(DOCUMENT_DISPOSAL_DUE, actor=None, target=row.document, detail=_reason(row))


# --- the review ------------------------------------------------------------------------------------


def _reason(row: DocumentRetention) -> dict:
    """Why the document is (or was) disposed of: its policy, the event counted from, the dates."""
    policy = row.policy
    return {
        "title": row.document_title, "kind": row.document_kind, "classification": row.document_classification,
        "policy": policy.name if policy else None, "policy_id": policy.pk if policy else None,
        "trigger": policy.trigger if policy else None,
        "period": f"{policy.period} {policy.unit}" if policy else None,
        "event": row.event_label, "event_on": row.event_on, "due_on": row.due_on,
        "extended_until": row.extended_until,
    }


def _locked_due(row: DocumentRetention, today: dt.date) -> DocumentRetention:
    locked = (DocumentRetention.objects.select_for_update(of=("self",)).select_related("policy", "document")
              .get(pk=row.pk))
    if locked.state != DisposalState.DUE or locked.document is None or locked.due_on is None or locked.due_on > today:
        raise Conflict("The document is no longer due for disposal.")
    return locked


def disposal_extend(*, actor, retention: DocumentRetention, until: dt.date, note: str,
                    today: dt.date | None = None) -> DocumentRetention:
    """Keep a document due for disposal until a later date (it comes back to the review then), with a
    reason. Compliance only; audited."""
    _require(may_review_disposals(actor))
    today = today or timezone.localdate()
    note = (note or "").strip()
    errors = {}
    if until is None or until <= today:
        errors["until"] = ["Choose a date after today."]
    if not note:
        errors["note"] = ["Give a reason for keeping it."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        locked = _locked_due(retention, today)
        previous = locked.due_on
        locked.extended_until = until
        locked.due_on = until
        locked.state = DisposalState.SCHEDULED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_note = note[:300]
        locked.save()
        audit.record(DOCUMENT_DISPOSAL_EXTENDED, actor=actor, target=locked.document,
                     detail={**_reason(locked), "was_due_on": previous, "note": locked.review_note})
    return locked


def disposal_approve(*, actor, retention: DocumentRetention, note: str = "",
                     today: dt.date | None = None) -> DocumentRetention:
    """Dispose of a document due for disposal: it is purged for good (document_purge: versions, grants,
    shares; its objects once nothing references them; refused under a legal hold, and then nothing
    changes). The retention row stays as the disposal record, and the audit event
    document.disposal.approved says what, why and who approved. Compliance only."""
    from backend.documents.trash import document_purge

    _require(may_review_disposals(actor))
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked_due(retention, today)
        document = locked.document
        reason = _reason(locked)
        target = {"target_type": document._meta.label_lower, "target_id": str(document.pk),
                  "target_label": str(document)}
        document_purge(actor=actor, document=document, reason="retention",
                       detail={"disposal": locked.pk, "policy": reason["policy"]})
        now = timezone.now()
        DocumentRetention.objects.filter(pk=locked.pk).update(
            document=None, state=DisposalState.DISPOSED, disposed_at=now, reviewed_by=actor, reviewed_at=now,
            review_note=(note or "").strip()[:300])
        audit.record(DOCUMENT_DISPOSAL_APPROVED, actor=actor, **target,
                     detail={**reason, "document_id": int(target["target_id"]), "approved_by": actor.username,
                             "note": (note or "").strip()[:300]})
    locked.refresh_from_db()
    return locked
