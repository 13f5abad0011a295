"""Sharing documents with customers, and what a customer's portal user does with a share.

Staff side:   document_share_create, document_share_revoke, document_share_reconfirm, shares_for_document,
              shares_suspend_for_classification, share_opens_for_document
Portal side:  share_list_for_portal, share_get_for_portal, share_open, share_download, share_page_png

A share is only as good as the colleague who vouches for it (who re-confirmed it, else who created
it): every portal read re-checks, in these services, that the share is neither revoked, expired nor
suspended and that its voucher may still share the document under its current classification
(policy.may_vouch_for_share). Raising a document to confidential or secret suspends the shares whose
voucher may not manage it; someone who may manage it re-confirms them (document_share_reconfirm).

A share follows the document's valid version or pins one version; it may expire, and it is either
downloadable or view-only. A view-only share never sends the file: PDF pages are rendered to
images on the server, pictures are re-encoded, and other types show their extracted text (a
downloadable share is previewed the same way, beside its download). Every
read by a portal user is an audit event carrying the customer, which is how staff see who opened
a share and compliance sees what a customer read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import router, transaction
from django.db.models import BooleanField, Case, Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from backend.access.policy import Action, can, can_share_document, may_vouch_for_share, portal_customer_id, staff_kind, visible
from backend.access.services import require
from backend.accounts.models import User
from backend.audit import services as audit
from backend.audit.models import AuditEvent
from backend.common.prepared import staff_instances
from backend.documents.store import object_store
from backend.common.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied
from backend.crm.models import Customer
from backend.documents import previews, rendering
from backend.documents.audit_events import DOCUMENT_ACCESS_DENIED
from backend.documents.downloads import VersionDownload, version_stream
from backend.documents.models import RESTRICTED_CLASSIFICATIONS, Document, DocumentVersion, VersionStatus
from backend.documents.rendering import RenderRefused
from backend.sharing.audit_events import (
    DOCUMENT_SHARE_CREATED,
    DOCUMENT_SHARE_LISTED,
    DOCUMENT_SHARE_RECONFIRMED,
    DOCUMENT_SHARE_REVOKED,
    DOCUMENT_SHARE_SUSPENDED,
    PORTAL_SHARE_DOWNLOADED,
    PORTAL_SHARE_LISTED,
    PORTAL_SHARE_REFUSED,
    PORTAL_SHARE_VIEWED,
)
from backend.sharing.models import DocumentShare, ShareSuspension

SHARE_OPEN_EVENTS = (PORTAL_SHARE_VIEWED, PORTAL_SHARE_DOWNLOADED)
RENDERED_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff")
OFFICE_TYPES = tuple(rendering.OFFICE_FILTERS)
PDF = "application/pdf"


# --- staff -----------------------------------------------------------------------------------------


def _deny(actor, document: Document, customer: Customer, action: str) -> PermissionDenied:
    audit.record(DOCUMENT_ACCESS_DENIED, actor=actor, target=document, outcome="denied",
                 customer_id=customer.pk, detail={"action": action})
    return PermissionDenied()


def document_share_create(
    *,
    actor,
    document: Document,
    customer: Customer,
    version: DocumentVersion | None = None,
    downloadable: bool = True,
    offer_valid_version: bool = True,
    expires_at: dt.datetime | None = None,
    note: str = "",
) -> DocumentShare:
    """Share `document` with `customer`'s portal users (following its valid version unless `version` pins one)."""
    if not can_share_document(actor, document, customer):
        raise _deny(actor, document, customer, "share")
    errors: dict[str, list[str]] = {}
    if version is not None and version.document_id != document.pk:
        errors["version"] = ["That version belongs to another document."]
    if version is None and document.valid_version_id is None:
        errors["version"] = ["The document has no version to share yet."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if errors:
        raise InvalidInput("The share is invalid.", fields=errors)
    with transaction.atomic():
        # One share in force per document, customer and version (the valid one followed, or one pinned):
        # the same share twice only lists the document twice. The document row is locked so that two
        # colleagues sharing it at the same moment cannot both pass the check.
        Document.objects.select_for_update().filter(pk=document.pk).first()
        existing = share_in_force(document=document, customer=customer, version=version)
        if existing is not None:
            raise Conflict("This document is already shared with this customer; change or revoke that share "
                           "instead.", share=existing.pk,
                           expires_at=existing.expires_at.isoformat() if existing.expires_at else None)
        share = DocumentShare.objects.create(
            document=document, customer=customer, version=version, downloadable=bool(downloadable),
            offer_valid_version=bool(offer_valid_version), expires_at=expires_at, note=(note or "")[:500],
            created_by=actor, created_at=timezone.now(),
        )
        from backend.notifications import triggers as notifications

        notifications.share_created(share=share)
        audit.record(DOCUMENT_SHARE_CREATED, actor=actor, target=document, customer_id=customer.pk, detail={
            "share": share.pk, "customer": customer.name, "version": version.number if version else "valid",
            "downloadable": share.downloadable, "expires_at": expires_at.isoformat() if expires_at else None,
        })
    return share


def share_in_force(*, document: Document, customer: Customer,
                   version: DocumentVersion | None = None) -> DocumentShare | None:
    """The share of `document` (following its valid version, or pinning `version`) with `customer` that
    portal users can use now (not revoked, suspended or expired), if there is one."""
    return (
        DocumentShare.objects.filter(document=document, customer=customer, version=version, revoked_at__isnull=True,
                                     suspended_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("-created_at", "-id")
        .first()
    )


def document_share_revoke(*, actor, share: DocumentShare) -> DocumentShare:
    if not can_share_document(actor, share.document, share.customer):
        raise _deny(actor, share.document, share.customer, "unshare")
    with transaction.atomic():
        share = DocumentShare.objects.select_for_update().get(pk=share.pk)
        if share.revoked_at is None:
            share.revoked_at, share.revoked_by = timezone.now(), actor
            share.save(update_fields=["revoked_at", "revoked_by"])
            audit.record(DOCUMENT_SHARE_REVOKED, actor=actor, target=share.document,
                         customer_id=share.customer_id, detail={"share": share.pk})
    return share


def _share_detail(share: DocumentShare) -> dict:
    return {"share": share.pk, "customer": share.customer.name,
            "version": share.version.number if share.version_id else "valid", "downloadable": share.downloadable}


def shares_suspend_for_classification(*, actor, document: Document) -> list[DocumentShare]:
    """Suspend the document's live shares whose voucher may not manage it now that it is confidential or
    secret. Runs inside the caller's transaction (the classification change), which holds the document
    row lock and has set the new classification on `document`; each suspension is audited."""
    if document.classification not in RESTRICTED_CLASSIFICATIONS:
        return []
    shares = list(
        DocumentShare.objects.select_for_update(of=("self",))
        .filter(document_id=document.pk, revoked_at__isnull=True, suspended_at__isnull=True)
        .select_related("customer", "version", "created_by", "confirmed_by")
        .order_by("id")
    )
    verdicts: dict[int, bool] = {}
    suspended = []
    now = timezone.now()
    for share in shares:
        if share.voucher_id not in verdicts:
            verdicts[share.voucher_id] = may_vouch_for_share(share.voucher, document)
        if verdicts[share.voucher_id]:
            continue
        share.suspended_at, share.suspended_reason = now, ShareSuspension.RECLASSIFIED
        share.save(update_fields=["suspended_at", "suspended_reason"])
        audit.record(DOCUMENT_SHARE_SUSPENDED, actor=actor, target=document, customer_id=share.customer_id,
                     detail={**_share_detail(share), "reason": ShareSuspension.RECLASSIFIED,
                             "classification": document.classification,
                             "voucher": share.voucher.username})
        suspended.append(share)
    return suspended


def document_share_reconfirm(*, actor, share: DocumentShare) -> DocumentShare:
    """Someone who may manage the document vouches for a share again: a suspended share is lifted, and a
    share whose creator lost the right to share it works again. Audited; 409 for a revoked share."""
    document = share.document
    require(actor=actor, action=Action.MANAGE, obj=document)
    if not can_share_document(actor, document, share.customer):
        raise _deny(actor, document, share.customer, "reconfirm_share")
    with transaction.atomic():
        share = (
            DocumentShare.objects.select_for_update(of=("self",))
            .select_related("document", "customer", "version", "created_by", "confirmed_by")
            .get(pk=share.pk)
        )
        if share.revoked_at is not None:
            raise Conflict("This share was revoked; share the document with the customer again instead.",
                           reason="share_revoked")
        detail = {**_share_detail(share), "was_suspended": share.suspended_at is not None,
                  "suspended_reason": share.suspended_reason, "previous_voucher": share.voucher.username}
        share.suspended_at, share.suspended_reason = None, ""
        share.confirmed_by, share.confirmed_at = actor, timezone.now()
        share.save(update_fields=["suspended_at", "suspended_reason", "confirmed_by", "confirmed_at"])
        audit.record(DOCUMENT_SHARE_RECONFIRMED, actor=actor, target=share.document,
                     customer_id=share.customer_id, detail=detail)
    return share


def shares_for_document(*, user, document: Document) -> list[DocumentShare]:
    """The document's shares (revoked ones too, last), for staff who may see the document.

    Each carries `vouched` (its voucher may still share the document) and `standing`: "active",
    "expired", "suspended", "not_vouched" or "revoked". One access check per distinct voucher.
    """
    # compiled once per kind of staff user and planned once per connection (the policy's filter cost more
    # to build and plan than the query to run: backend.common.prepared.staff_instances)
    shares = staff_instances(user, staff_kind(user), "sharing.shares_for_document", lambda stand_in: _shares_of(stand_in, _DOCUMENT_SLOT),
                             {"document": document.pk}, placeholders={_DOCUMENT_SLOT: "document"},
                             using=router.db_for_read(DocumentShare), required=("document",))
    if shares is None:
        shares = list(_shares_of(user, document.pk))
    _add_standing(shares, document)
    return shares


_DOCUMENT_SLOT = -(2**42) - 200  # a placeholder document id: never a real one


def _shares_of(user, document_id: int) -> QuerySet[DocumentShare]:
    return (
        visible(user, DocumentShare.objects.filter(document_id=document_id))
        .select_related("customer", "version", "created_by", "revoked_by", "confirmed_by")
        .order_by("revoked_at", "-created_at", "-id")
    )


def shares_suspended_for_document(*, user, document: Document) -> list[DocumentShare]:
    """The document's suspended shares awaiting re-confirmation (or revocation)."""
    return [share for share in shares_for_document(user=user, document=document) if share.standing == "suspended"]


def _add_standing(shares: list[DocumentShare], document: Document) -> None:
    verdicts: dict[int, bool] = {}
    now = timezone.now()
    for share in shares:
        if share.revoked_at is None and share.voucher_id not in verdicts:
            verdicts[share.voucher_id] = may_vouch_for_share(share.voucher, document)
        share.vouched = verdicts.get(share.voucher_id, False)
        if share.revoked_at is not None:
            share.standing = "revoked"
        elif share.suspended_at is not None:
            share.standing = "suspended"
        elif not share.vouched:
            share.standing = "not_vouched"
        elif share.is_expired(now=now):
            share.standing = "expired"
        else:
            share.standing = "active"


def share_get_for_staff(*, user, share_id: int) -> DocumentShare:
    share = visible(user, DocumentShare.objects.select_related("document", "customer")).filter(pk=share_id).first()
    if share is None:
        raise NotFound()
    return share


@dataclass(frozen=True)
class ShareOpening:
    customer_id: int | None
    customer_name: str
    people: str
    views: int
    downloads: int
    first_at: dt.datetime
    last_at: dt.datetime


def share_opens_for_document(*, document: Document) -> list[ShareOpening]:
    """Which customers opened this document through a share, how often and when (from the audit trail)."""
    rows = (
        AuditEvent.objects.filter(target_type="documents.document", target_id=str(document.pk),
                                  event_type__in=SHARE_OPEN_EVENTS, outcome="success")
        .values("customer_id")
        .annotate(views=Count("id", filter=Q(event_type=PORTAL_SHARE_VIEWED)),
                  downloads=Count("id", filter=Q(event_type=PORTAL_SHARE_DOWNLOADED)),
                  first_at=Min("occurred_at"), last_at=Max("occurred_at"))
        .order_by("-last_at")
    )
    rows = list(rows)
    customer_ids = [row["customer_id"] for row in rows if row["customer_id"] is not None]
    names = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "name"))
    people: dict[int, set[str]] = {}
    openers = list(
        AuditEvent.objects.filter(target_type="documents.document", target_id=str(document.pk),
                                  event_type__in=SHARE_OPEN_EVENTS, outcome="success")
        .values_list("customer_id", "actor_id", "actor_label").order_by().distinct()
    )
    # The audit row keeps the username ("portal-<contact id>"); staff want the person's name.
    names_by_user = {user.pk: str(user) for user in
                     User.objects.filter(pk__in={actor_id for _, actor_id, _ in openers if actor_id is not None})}
    for customer_id, actor_id, label in openers:
        people.setdefault(customer_id, set()).add(names_by_user.get(actor_id, label))
    return [
        ShareOpening(customer_id=row["customer_id"], customer_name=names.get(row["customer_id"], "?"),
                     people=", ".join(sorted(people.get(row["customer_id"], ()))), views=row["views"],
                     downloads=row["downloads"], first_at=row["first_at"], last_at=row["last_at"])
        for row in rows
    ]


# --- portal ----------------------------------------------------------------------------------------


def share_list_for_portal(*, user, in_force_only: bool = False) -> QuerySet[DocumentShare]:
    """The shares a portal user's customer has, one row per document (expired ones included, so they
    can be explained, unless `in_force_only`). When a document was shared more than once (an expired
    share and a new one, say), the row is the share the customer can use: in force before expired,
    downloadable before view-only, then the newest. Each row carries `expired` (bool)."""
    now = timezone.now()
    expired = Case(When(expires_at__lte=now, then=Value(True)), default=Value(False), output_field=BooleanField())
    shares = visible(user, DocumentShare.objects.all()).annotate(expired=expired)
    if in_force_only:
        shares = shares.filter(expired=False)
    preferred = (
        shares.filter(document_id=OuterRef("document_id"))
        .order_by("expired", "-downloadable", "-created_at", "-id")
        .values("pk")[:1]
    )
    return (
        shares.filter(pk=Subquery(preferred))
        .select_related("document", "version", "document__valid_version")
        .order_by("-created_at", "-id")
    )


def share_get_for_portal(*, user, share_id: int) -> DocumentShare:
    share = (
        visible(user, DocumentShare.objects.select_related("document", "document__valid_version", "version"))
        .filter(pk=share_id)
        .first()
    )
    if share is None:
        _audit_refusal(user, share_id=share_id, action="get")
        raise NotFound()
    return share


def _audit_refusal(actor, *, share_id: int, action: str) -> None:
    """A portal user asked for one of their customer's shares that is suspended or no longer vouched for:
    record why (a missing, revoked or other customer's share is only a 404, not worth a row)."""
    customer_id = portal_customer_id(actor)
    share = (
        DocumentShare.objects.select_related("document")
        .filter(pk=share_id, customer_id=customer_id, revoked_at__isnull=True)
        .first()
        if customer_id is not None else None
    )
    if share is None:
        return
    reason = "suspended" if share.suspended_at is not None else "not_vouched"
    audit.record(PORTAL_SHARE_REFUSED, actor=actor, target=share.document, outcome="denied",
                 customer_id=share.customer_id, detail={"share": share.pk, "action": action, "reason": reason})


def _require_in_force(actor, share: DocumentShare, *, action: str) -> None:
    """Re-check, at the moment of the read, that the share still lets `actor` in (the policy's portal rule:
    their customer's, not revoked, not suspended, vouched for). 404 otherwise, audited."""
    if not can(actor, Action.VIEW, share):
        _audit_refusal(actor, share_id=share.pk, action=action)
        raise NotFound()


@dataclass(frozen=True)
class ShareView:
    share: DocumentShare
    version: DocumentVersion
    # The pinned version is no longer the valid one.
    superseded: bool
    # The valid version, when the share pins an older one and staff allowed pointing to it.
    valid_version: DocumentVersion | None
    # How the share is shown in the browser (downloadable or not): "pages" (PDF or office file rendered),
    # "image", "text" or "none" (nothing to render).
    rendering: str
    page_count: int = 0
    text: str = ""


def _shown_version(share: DocumentShare) -> DocumentVersion:
    version = share.version or share.document.valid_version
    if version is None:
        raise NotFound()
    return version


def _check_open(actor, share: DocumentShare, *, event: str) -> None:
    if share.is_expired():
        audit.record(event, actor=actor, target=share.document, outcome="denied", customer_id=share.customer_id,
                     detail={"share": share.pk, "reason": "expired"})
        raise Gone("This share has expired.", reason="expired",
                   expired_at=share.expires_at.isoformat() if share.expires_at else None)


def _pdf_page_count(version: DocumentVersion) -> int:
    return rendering.pdf_page_count(_read_all(version), rendering.RenderLimits.from_settings())


def _read_all(version: DocumentVersion) -> bytes:
    return b"".join(object_store().iter_verified(version.object_key, sha256=version.sha256))


def _extracted_text(version: DocumentVersion) -> str:
    from indexing.selectors import version_extracted_text

    return version_extracted_text(version_id=version.pk)


def share_open(*, actor, share: DocumentShare) -> ShareView:
    """A portal user opens a share's page: the version shown, how, and whether it is superseded. Audited."""
    _require_in_force(actor, share, action="open")
    _check_open(actor, share, event=PORTAL_SHARE_VIEWED)
    version = _shown_version(share)
    valid = share.document.valid_version
    superseded = share.version is not None and (
        valid is None or valid.pk != version.pk or version.status == VersionStatus.SUPERSEDED
    )
    rendering, pages, text = "none", 0, ""
    # shown in the browser whether or not it may also be downloaded (a downloadable share is previewed too)
    if version.mime_type == PDF:
        rendering = "pages"
        try:
            pages = _pdf_page_count(version)
        except Exception:  # a PDF pdfium cannot open: fall back to its text
            rendering, text = "text", _extracted_text(version)
    elif version.mime_type in RENDERED_IMAGE_TYPES:
        rendering = "image"
    elif version.mime_type in OFFICE_TYPES:
        # Word, Excel, PowerPoint, OpenDocument: pages drawn through LibreOffice (cached per version)
        try:
            rendering, pages = "pages", previews.page_count_checked(version)
        except (RenderRefused, NotFound):
            text = _extracted_text(version)
            rendering = "text" if text else "none"
    else:
        text = _extracted_text(version)
        rendering = "text" if text else "none"
    from backend.notifications import triggers as notifications

    notifications.share_opened(share=share, actor=actor)
    audit.record(PORTAL_SHARE_VIEWED, actor=actor, target=share.document, customer_id=share.customer_id,
                 detail={"share": share.pk, "version": version.number, "downloadable": share.downloadable})
    return ShareView(share=share, version=version, superseded=superseded,
                     valid_version=valid if superseded and share.offer_valid_version else None,
                     rendering=rendering, page_count=pages, text=text)


def _share_version(share: DocumentShare, version_number: int | None) -> DocumentVersion:
    """The shared version, or (when the share offers it) the document's valid version by number."""
    version = _shown_version(share)
    if version_number is None or version_number == version.number:
        return version
    valid = share.document.valid_version
    if share.version is not None and share.offer_valid_version and valid is not None and valid.number == version_number:
        return valid
    raise NotFound()


def share_download(
    *, actor, share: DocumentShare, version_number: int | None = None, byte_range: tuple[int, int] | None = None
) -> VersionDownload:
    """The file of a downloadable share (404 for a view-only one, 410 once expired). Audited."""
    if not share.downloadable:
        audit.record(PORTAL_SHARE_DOWNLOADED, actor=actor, target=share.document, outcome="denied",
                     customer_id=share.customer_id, detail={"share": share.pk, "reason": "view_only"})
        raise NotFound()
    _require_in_force(actor, share, action="download")
    _check_open(actor, share, event=PORTAL_SHARE_DOWNLOADED)
    version = _share_version(share, version_number)
    return version_stream(actor=actor, version=version, byte_range=byte_range, event_type=PORTAL_SHARE_DOWNLOADED,
                          audit_detail={"share": share.pk}, customer_id=share.customer_id)


def share_page_png(*, actor, share: DocumentShare, page: int) -> bytes:
    """One page of a share (view-only, or the preview of a downloadable one) as a PNG (PDF pages; a picture is page 1). Not audited per page:
    opening the share was. Rendered in a limited child process (backend.documents.rendering): what
    cannot be shown raises RenderRefused (422), a page that does not exist NotFound."""
    _require_in_force(actor, share, action="page")
    _check_open(actor, share, event=PORTAL_SHARE_VIEWED)
    version = _shown_version(share)
    if version.mime_type in OFFICE_TYPES:
        return previews.page_png_checked(version, page)
    if not (version.mime_type == PDF or (version.mime_type in RENDERED_IMAGE_TYPES and page == 1)):
        raise NotFound()
    return rendering.page_png(_read_all(version), version.mime_type, page, rendering.RenderLimits.from_settings())


# --- audited reads of share lists ------------------------------------------------------------------


def shares_listed(*, actor, document: Document, shares) -> None:
    """Staff read a document's shares (which customers have it): recorded as `document.share.listed`."""
    shares = list(shares)
    audit.record(DOCUMENT_SHARE_LISTED, actor=actor, target=document,
                 detail={"shares": len(shares), "customer_ids": sorted({share.customer_id for share in shares})})


def portal_shares_listed(*, actor, shares, page: int) -> None:
    """A portal user read a page of their shares (the titles shared with them): `portal.share.listed`."""
    from backend.access.policy import portal_customer_id

    shares = list(shares)
    audit.record(PORTAL_SHARE_LISTED, actor=actor, customer_id=portal_customer_id(actor),
                 detail={"page": page, "share_ids": [share.pk for share in shares],
                         "document_ids": [share.document_id for share in shares]})
