"""The portal demo: one customer contact who can sign in to /portal/, and what was shared with them.

Seeded through the services (invitation, shares, announcement, service request). The contact's
password is set directly, as if they had followed the invitation link: the demo must be usable
without reading e-mail (the invitation itself is written to the data directory's mail folder).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from backend.access.policy import can_share_document
from backend.accounts.models import User
from backend.crm.models import Contact, Customer
from backend.crm.services.announcements import announcement_create
from backend.crm.services.service_requests import service_note_add, service_request_submit
from backend.documents.models import Document
from backend.sharing.models import PortalAccount
from backend.sharing.portal_accounts import portal_invite
from backend.sharing.shares import document_share_create

PORTAL_CUSTOMER_CODE = "QH-C-001"


@dataclass
class PortalDemo:
    email: str = ""
    already_present: bool = False
    skipped: str = ""


def _document(title_part: str) -> Document | None:
    return Document.objects.filter(title__contains=title_part).select_related("owner").order_by("pk").first()


def seed_portal_demo(*, password: str, stdout: TextIO | None = None) -> PortalDemo:
    report = PortalDemo()
    customer = Customer.objects.filter(code=PORTAL_CUSTOMER_CODE).select_related("owner").first()
    contact = Contact.objects.filter(customer=customer).exclude(email="").order_by("-is_primary", "pk").first() \
        if customer else None
    if contact is None:
        report.skipped = "the CRM demo is not there"
        return report
    report.email = contact.email
    if PortalAccount.objects.filter(contact=contact).exists():
        report.already_present = True
        return report
    owner = customer.owner
    with transaction.atomic():
        invite = portal_invite(actor=owner, contact=contact)
        account = invite.invitation.account
        user: User = account.user
        user.set_password(password)
        user.is_active = True
        user.preferred_language = "zh-hans"
        user.save(update_fields=["password", "is_active", "preferred_language"])
        now = timezone.now()
        invite.invitation.used_at = now
        invite.invitation.save(update_fields=["used_at"])
        PortalAccount.objects.filter(pk=account.pk).update(activated_at=now)

        shared, seen = 0, set()
        for title_part, downloadable, days in (("QH-VMC850", True, None), ("QH-CK6150", False, None),
                                               ("HD-2026-031", True, None), ("QH-HMC630", True, -3)):
            document = _document(title_part)
            # two title parts may name one document, and a document is shared with a customer once
            if document is None or document.pk in seen or not can_share_document(owner, document, customer):
                continue
            seen.add(document.pk)
            share = document_share_create(actor=owner, document=document, customer=customer, downloadable=downloadable,
                                          expires_at=now + dt.timedelta(days=30))
            if days is not None and days < 0:  # one share that has run out, to show the expired page
                type(share).objects.filter(pk=share.pk).update(expires_at=now + dt.timedelta(days=days))
            shared += 1
        announcement_create(actor=owner, title="春节期间服务安排 Service hours over the Spring Festival",
                            body="2 月 10 日至 17 日服务热线 400-820-1234 照常值班，现场服务需提前预约。\n\n"
                                 "Our hotline stays open 10–17 February; on-site visits by appointment.",
                            publish=True)
    # The request is submitted as the contact would, after the transaction above committed.
    portal_user = User.objects.get(pk=user.pk)
    record = service_request_submit(actor=portal_user, type="issue", title="VMC850 主轴异响 Spindle noise on VMC850",
                                    description="3 号机在 8000 rpm 以上有明显异响。Noise above 8,000 rpm on machine 3.")
    service_note_add(actor=owner, record=record, body="已安排工程师周四上门。An engineer will visit on Thursday.",
                     visible_to_customer=True)
    if stdout is not None:
        stdout.write(f"Portal demo seeded: {contact.name} <{contact.email}> of {customer.name}, "
                     f"{shared} shared documents.\n")
    return report


