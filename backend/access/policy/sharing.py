"""Sharing documents with a customer's portal users: who may share, who keeps a share alive, who reads it.

* Staff see the shares of documents they may view; changing them needs a right to share.
* Sharing needs the right to download the document, and for a confidential or secret document the
  right to manage it (sharing outside the company is a permission decision), plus sight of the customer.
* A portal user sees their own customer's shares that are neither revoked nor suspended, and whose
  voucher (who re-confirmed the share, else who created it) may still share the document under its
  current classification (may_vouch_for_share), checked at every portal read.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.access.policy.actions import Action
from backend.access.policy.documents import BROAD, document_visibility_q
from backend.access.policy.explanation import AccessRule, ShareAccess
from backend.access.policy.registry import NOTHING, can, register_portal, register_staff
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role, User
from backend.crm.models import Customer
from backend.documents.audit_events import DOCUMENT_ACCESS_DENIED
from backend.documents.models import Document
from backend.sharing.models import DocumentShare, PortalAccount


def may_share_document(user, document: Document) -> bool:
    """The rights sharing `document` with any customer needs: download it, and manage it when it is
    confidential or secret. (A share's voucher must keep them: may_vouch_for_share.)"""
    return is_active_staff(user) and sharing_rule(
        document, may_download=lambda: can(user, Action.DOWNLOAD, document),
        may_manage=lambda: can(user, Action.MANAGE, document))


def sharing_rule(document: Document, *, may_download, may_manage) -> bool:
    """The rule itself, over the sharer's rights on the document (asked lazily, each at most once)."""
    return may_download() and (document.classification in BROAD or may_manage())


def can_share_document(user, document: Document, customer: Customer) -> bool:
    """May `user` share `document` with `customer`'s portal users? The rights to share it
    (may_share_document), and sight of the customer."""
    if not is_active_staff(user):
        return False
    if not (can(user, Action.DOWNLOAD, document) and can(user, Action.VIEW, customer)):
        return False
    return document.classification in BROAD or can(user, Action.MANAGE, document)


def may_vouch_for_share(user, document: Document) -> bool:
    """May `user` keep a share of `document` alive? Asked of a share's voucher at every portal read.

    The rights sharing needs on the document under its current classification (may_share_document).
    Sight of the customer is checked when sharing, not afterwards: a rep changing teams does not cut
    the customer off. Inactive users vouch for nothing.
    """
    return may_share_document(user, document)


def vouched_shares_q(customer_id: int) -> Q:
    """The customer's shares whose voucher may_vouch_for_share their document, in SQL.

    One query finds who vouches for the customer's live shares (a handful of colleagues); each adds
    one subquery: the documents that colleague may share (document_visibility_q, the same rules).
    """
    voucher_ids = (
        DocumentShare.objects.filter(customer_id=customer_id, revoked_at__isnull=True, suspended_at__isnull=True)
        .annotate(voucher=Coalesce("confirmed_by_id", "created_by_id"))
        .values("voucher")
    )
    q = NOTHING
    for voucher in User.objects.filter(pk__in=voucher_ids, is_active=True).exclude(role=Role.PORTAL):
        shareable = Document.objects.filter(document_visibility_q(voucher, Action.DOWNLOAD)).filter(
            Q(classification__in=BROAD) | document_visibility_q(voucher, Action.MANAGE)
        )
        vouched_by = Q(confirmed_by_id=voucher.pk) | Q(confirmed_by__isnull=True, created_by_id=voucher.pk)
        q |= vouched_by & Q(document_id__in=shareable.values("pk"))
    return q


def _staff_share_q(user, action: Action) -> Q:
    documents = Document.objects.filter(document_visibility_q(user, action)).values("pk")
    return Q(document_id__in=documents)


def _portal_share_q(customer_id: int) -> Q:
    return Q(customer_id=customer_id, revoked_at__isnull=True, suspended_at__isnull=True) & vouched_shares_q(customer_id)


register_staff(DocumentShare, q=_staff_share_q, denied_event=DOCUMENT_ACCESS_DENIED)
register_portal(DocumentShare, q=_portal_share_q)


def share_explanation(document: Document) -> list[AccessRule]:
    """The customers whose portal users read `document` through a share (every unrevoked share).

    A share not in force (expired, suspended, or its voucher may no longer share the document) is
    listed with no actions and says why. Members are the customer's contacts with an active portal
    account. A fixed number of queries, plus the access checks of each distinct voucher.
    """
    shares = list(
        DocumentShare.objects.filter(document_id=document.pk, revoked_at__isnull=True)
        .select_related("customer", "version", "created_by", "confirmed_by")
        .order_by("customer__name", "id")
    )
    if not shares:
        return []
    vouched: dict[int, bool] = {}
    for share in shares:
        if share.voucher_id not in vouched:
            vouched[share.voucher_id] = may_vouch_for_share(share.voucher, document)
    readers: dict[int, list[dict]] = {}
    accounts = (
        PortalAccount.objects.filter(customer_id__in={share.customer_id for share in shares},
                                     activated_at__isnull=False, disabled_at__isnull=True, user__is_active=True)
        .select_related("user", "contact")
        .order_by("contact__name", "pk")
    )
    for account in accounts:
        readers.setdefault(account.customer_id, []).append(
            {"id": account.user_id, "label": f"{account.contact.name} <{account.user.email}>"}
        )
    now = timezone.now()
    rules = []
    for share in shares:
        expired, suspended = share.is_expired(now=now), share.suspended_at is not None
        in_force = not expired and not suspended and vouched[share.voucher_id]
        # a view-only share reads the pages (marked with the reader's name); a downloadable one the file too
        actions = (Action.VIEW, Action.READ, Action.DOWNLOAD) if share.downloadable else (Action.VIEW, Action.READ)
        rules.append(AccessRule(
            "customer", share.customer_id, str(share.customer), tuple(str(a) for a in actions) if in_force else (),
            "share", tuple(readers.get(share.customer_id, ())),
            share=ShareAccess(
                id=share.pk, downloadable=share.downloadable,
                version=share.version.number if share.version_id else None,
                expires_at=share.expires_at, expired=expired, suspended=suspended,
                suspended_at=share.suspended_at, suspended_reason=share.suspended_reason,
                voucher={"id": share.voucher_id, "label": str(share.voucher)},
                vouched=vouched[share.voucher_id], in_force=in_force,
            ),
        ))
    return rules
