"""What notifies whom: the calls other services make (one line each, inside their transaction), and the
beat passes over due reminders, expiring quotes, overdue invoices and ending shares and approvals.

Every trigger passes a once_key, so a retried service or beat pass notifies nobody twice. Texts are
(msgid, params) pairs, rendered in each recipient's language by notify().
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.db.models.functions import Cast
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from backend.notifications import notification_kinds as kinds
from backend.notifications.models import Notification
from backend.notifications.services import Notice, notify, notify_many


def _customer_link(customer_id: int) -> str:
    # the pattern once, the id filled in (a beat pass links thousands of rows)
    return _customer_path_pattern().replace("999999999", str(int(customer_id)))


@functools.lru_cache(maxsize=1)
def _customer_path_pattern() -> str:
    return reverse("web:customer", args=[999999999])


def _document_link(document_id: int) -> str:
    return reverse("web:document", args=[document_id])


# --- sales ----------------------------------------------------------------------------------------


def customer_question_asked(*, activity, customer) -> int:
    """A portal user asked their account manager (portal_questions.portal_question_ask)."""
    return notify(kind=kinds.SALES_CUSTOMER_QUESTION, recipients=[customer.owner],
                  title=(N_("%(customer)s asks: %(subject)s"), {"customer": customer.name,
                                                                "subject": activity.subject}),
                  body=activity.body[:1000], link=_customer_link(customer.pk), target=activity,
                  once_key=f"question-{activity.pk}")


def quote_decided(*, quote, accepted: bool, comment: str = "") -> int:
    """The customer accepted or declined a sent quote in the portal (quote_pdf.quote_decide_by_customer)."""
    title = (N_("%(customer)s accepted quote %(number)s") if accepted else
             N_("%(customer)s declined quote %(number)s"))
    return notify(kind=kinds.SALES_QUOTE_DECIDED, recipients=[quote.owner_id],
                  title=(title, {"customer": quote.customer.name, "number": quote.number}), body=comment[:1000],
                  link=reverse("web:quote", args=[quote.pk]), target=quote,
                  once_key=f"quote-decided-{quote.pk}")


def reminders_due(*, now=None, batch: int = 1000) -> int:
    """Beat: tell each owner of a reminder that has come due (within NOTIFICATIONS_REMINDER_LOOKBACK_HOURS,
    not done). Reminders due at once when made (a portal question, a quote answer) were told by their own
    trigger. Once per reminder and due time: moving a reminder later makes it due, and told, again."""
    from backend.crm.models import Activity, ActivityKind

    now = now or timezone.now()
    since = now - dt.timedelta(hours=int(settings.NOTIFICATIONS_REMINDER_LOOKBACK_HOURS))
    told = Notification.objects.filter(kind=kinds.SALES_REMINDER_DUE, target_type="crm.activity",
                                       target_id=Cast(OuterRef("pk"), models.CharField()),
                                       created_at__gte=OuterRef("due_at"))
    due = (Activity.objects.filter(kind=ActivityKind.REMINDER, done=False, due_at__lte=now, due_at__gt=since)
           .filter(due_at__gt=models.F("created_at")).exclude(Exists(told)))
    # one scan for the ids (the reminders table may be large), then the rows a batch at a time
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    count = 0
    for start in range(0, len(ids), batch):
        rows = list(Activity.objects.filter(pk__in=ids[start:start + batch]).select_related("customer").order_by("pk"))
        with transaction.atomic():
            count += notify_many(kind=kinds.SALES_REMINDER_DUE, notices=[
                Notice(recipient_id=activity.owner_id,
                       title=(N_("Reminder due: %(subject)s (%(customer)s)"),
                              {"subject": activity.subject, "customer": activity.customer.name}),
                       body=activity.body[:1000], link=_customer_link(activity.customer_id), target=activity,
                       once_key=f"reminder-{activity.pk}-{int(activity.due_at.timestamp())}")
                for activity in rows])
    return count


def quotes_expiring(*, today=None) -> int:
    """Beat: a sent quote whose validity ends within NOTIFICATIONS_QUOTE_EXPIRY_DAYS, to its owner; once per
    quote and end date."""
    from backend.crm.models import Quote, QuoteStatus

    today = today or timezone.localdate()
    until = today + dt.timedelta(days=int(settings.NOTIFICATIONS_QUOTE_EXPIRY_DAYS))
    count = 0
    for quote in (Quote.objects.filter(status=QuoteStatus.SENT, valid_until__gte=today, valid_until__lte=until)
                  .select_related("customer").order_by("pk").iterator(chunk_size=500)):
        with transaction.atomic():
            count += notify(kind=kinds.SALES_QUOTE_EXPIRING, recipients=[quote.owner_id],
                            title=(N_("Quote %(number)s for %(customer)s expires on %(date)s"),
                                   {"number": quote.number, "customer": quote.customer.name,
                                    "date": quote.valid_until.isoformat()}),
                            link=reverse("web:quote", args=[quote.pk]), target=quote,
                            once_key=f"quote-expiring-{quote.pk}-{quote.valid_until.isoformat()}")
    return count


def invoices_overdue(*, today=None) -> int:
    """Beat: an invoice past its due date and not covered by the order's payments, to the order's owner (and
    the customer's owner when another); once per invoice and due date."""
    from django.db.models import Sum

    from backend.crm.models import Invoice, OrderStatus, Payment

    today = today or timezone.localdate()
    count = 0
    since = today - dt.timedelta(days=int(settings.NOTIFICATIONS_OVERDUE_LOOKBACK_DAYS))
    invoices = (Invoice.objects.filter(due_on__lt=today, due_on__gte=since).exclude(order__status=OrderStatus.CANCELLED)
                .select_related("order", "order__customer").order_by("order_id", "due_on", "pk"))
    unspent: dict[int, object] = {}  # order id -> what its payments have not yet covered, oldest invoice first
    for invoice in invoices.iterator(chunk_size=500):
        order = invoice.order
        if order.pk not in unspent:
            unspent[order.pk] = Payment.objects.filter(order=order).aggregate(total=Sum("amount"))["total"] or 0
        if unspent[order.pk] >= invoice.amount:
            unspent[order.pk] -= invoice.amount
            continue
        unspent[order.pk] = 0
        with transaction.atomic():
            count += notify(kind=kinds.SALES_INVOICE_OVERDUE, recipients=[order.owner_id, order.customer.owner_id],
                            title=(N_("Invoice %(number)s of %(customer)s was due on %(date)s"),
                                   {"number": invoice.number, "customer": order.customer.name,
                                    "date": invoice.due_on.isoformat()}),
                            link=reverse("web:order", args=[order.pk]), target=invoice,
                            once_key=f"invoice-overdue-{invoice.pk}-{invoice.due_on.isoformat()}")
    return count


# --- documents ------------------------------------------------------------------------------------


def share_opened(*, share, actor) -> int:
    """A customer's portal user opened a share (sharing.shares.share_open): its sharer hears, once per share
    and portal user."""
    return notify(kind=kinds.DOCUMENT_SHARE_OPENED, recipients=[share.created_by_id],
                  title=(N_("%(customer)s opened “%(title)s”"), {"customer": share.customer.name,
                                                                 "title": share.document.title}),
                  body=(N_("Opened by %(name)s."), {"name": str(actor)}),
                  link=_document_link(share.document_id), target=share.document,
                  once_key=f"share-opened-{share.pk}-{actor.pk}")


def version_uploaded(*, version, actor) -> int:
    """A new version of a document (documents.services.document_version_create): its watchers (of it or of a
    customer it is linked to) hear; where the four-eyes rule applies, those who may approve it hear that it
    waits for them."""
    from backend.access.policy import Action, can
    from backend.access.policy.approval import four_eyes_applies
    from backend.notifications.selectors import watchers_of_document

    document = version.document
    count = notify(kind=kinds.DOCUMENT_WATCHED_CHANGED, recipients=watchers_of_document(document, exclude=actor),
                   title=(N_("New version %(number)s of “%(title)s”"), {"number": version.number,
                                                                         "title": document.title}),
                   body=(N_("Uploaded by %(name)s."), {"name": str(actor)}),
                   link=_document_link(document.pk), target=document,
                   once_key=f"version-{version.pk}")
    if four_eyes_applies(document):
        approvers = [user for user in {document.owner, *watchers_of_document(document)}
                     if user.pk != actor.pk and user.is_active and can(user, Action.CHANGE, document)]
        count += notify(kind=kinds.DOCUMENT_APPROVAL_WAITING, recipients=approvers,
                        title=(N_("Version %(number)s of “%(title)s” waits for your approval"),
                               {"number": version.number, "title": document.title}),
                        body=(N_("%(name)s uploaded it; under the four-eyes rule someone else must approve it."),
                              {"name": str(actor)}),
                        link=_document_link(document.pk), target=document, once_key=f"approval-{version.pk}")
    return count


def version_approved(*, version, actor) -> int:
    """A version was approved (documents.versions.document_version_approve): watchers hear."""
    from backend.notifications.selectors import watchers_of_document

    document = version.document
    return notify(kind=kinds.DOCUMENT_WATCHED_CHANGED, recipients=watchers_of_document(document, exclude=actor),
                  title=(N_("Version %(number)s of “%(title)s” is approved"), {"number": version.number,
                                                                               "title": document.title}),
                  body=(N_("Approved by %(name)s."), {"name": str(actor)}),
                  link=_document_link(document.pk), target=document, once_key=f"approved-{version.pk}")


def shares_suspended(*, document, shares, actor) -> int:
    """A reclassification stopped shares (sharing.shares.shares_suspend_for_classification): whoever vouched
    for them and the document's owner hear."""
    if not shares:
        return 0
    recipients = {document.owner_id, *(share.voucher_id for share in shares)} - {actor.pk}
    customers = ", ".join(sorted({share.customer.name for share in shares}))
    return notify(kind=kinds.DOCUMENT_SHARES_SUSPENDED, recipients=list(recipients),
                  title=(N_("Shares of “%(title)s” are stopped"), {"title": document.title}),
                  body=(N_("It is now %(classification)s, so its shares with %(customers)s stopped until someone "
                           "who may manage it re-confirms them."),
                        {"classification": document.get_classification_display(), "customers": customers}),
                  link=_document_link(document.pk), target=document,
                  once_key="suspended-" + "-".join(str(share.pk) for share in shares)[:180])


def documents_expiring(*, today=None) -> int:
    """Beat: a share whose expiry, or an approved version whose valid-until date, comes within
    NOTIFICATIONS_EXPIRY_WARNING_DAYS, to the document's owner (and the sharer); once per share or version
    and date."""
    from backend.documents.models import DocumentVersion, VersionStatus
    from backend.sharing.models import DocumentShare

    today = today or timezone.localdate()
    days = int(settings.NOTIFICATIONS_EXPIRY_WARNING_DAYS)
    until = today + dt.timedelta(days=days)
    now = timezone.now()
    count = 0
    shares = (DocumentShare.objects.filter(revoked_at__isnull=True, expires_at__gt=now,
                                           expires_at__lte=now + dt.timedelta(days=days))
              .select_related("document", "customer").order_by("pk"))
    for share in shares.iterator(chunk_size=500):
        with transaction.atomic():
            count += notify(kind=kinds.DOCUMENT_EXPIRING, recipients=[share.document.owner_id, share.created_by_id],
                            title=(N_("The share of “%(title)s” with %(customer)s ends on %(date)s"),
                                   {"title": share.document.title, "customer": share.customer.name,
                                    "date": timezone.localdate(share.expires_at).isoformat()}),
                            link=_document_link(share.document_id), target=share.document,
                            once_key=f"share-ends-{share.pk}-{share.expires_at.isoformat()}")
    versions = (DocumentVersion.objects.filter(status=VersionStatus.APPROVED, valid_until__gte=today,
                                               valid_until__lte=until)
                .select_related("document").order_by("pk"))
    for version in versions.iterator(chunk_size=500):
        with transaction.atomic():
            count += notify(kind=kinds.DOCUMENT_EXPIRING, recipients=[version.document.owner_id],
                            title=(N_("The approval of “%(title)s” (version %(number)s) ends on %(date)s"),
                                   {"title": version.document.title, "number": version.number,
                                    "date": version.valid_until.isoformat()}),
                            link=_document_link(version.document_id), target=version.document,
                            once_key=f"approval-ends-{version.pk}-{version.valid_until.isoformat()}")
    return count


# --- customers, by e-mail (only contacts who agreed: backend/notifications/customers.py) -----------------


def _portal_contacts(customer_id: int):
    """The customer's contacts with a portal account in use (the e-mails link into the portal)."""
    from backend.crm.models import Contact

    return list(Contact.objects.filter(customer_id=customer_id, portal_account__activated_at__isnull=False,
                                       portal_account__disabled_at__isnull=True,
                                       portal_account__user__is_active=True).order_by("pk"))


def service_request_state_changed(*, record, previous: str) -> int:
    """A service record moved a step (crm.services.service._step): the contact who raised it hears by e-mail."""
    from backend.crm.models import DispatchState
    from backend.notifications.customers import email_contact

    if record.contact_id is None:
        return 0
    state = DispatchState(record.dispatch_state).label
    sent = email_contact(kind="customer.service_state", contact=record.contact,
                         subject=(N_("Your service request “%(title)s”: %(state)s"),
                                  {"title": record.title, "state": state}),
                         body=(N_("Your service request “%(title)s” is now: %(state)s."),
                               {"title": record.title, "state": state}),
                         link=reverse("portal:service_request", args=[record.pk]),
                         once_key=f"service-{record.pk}-{record.dispatch_state}")
    return int(sent)


def share_created(*, share) -> int:
    """A document was shared with a customer (sharing.shares.document_share_create): its portal users who
    agreed hear by e-mail. A quote being sent is told as a quote to answer instead (quote_sent)."""
    from backend.crm.models import Quote, QuoteStatus
    from backend.notifications.customers import email_contact

    if Quote.objects.filter(document_id=share.document_id, customer_id=share.customer_id,
                            status=QuoteStatus.DRAFT).exists():
        return 0
    sent = 0
    for contact in _portal_contacts(share.customer_id):
        sent += email_contact(kind="customer.share_new", contact=contact,
                              subject=(N_("A new document for you: %(title)s"), {"title": share.document.title}),
                              body=(N_("%(company)s shared “%(title)s” with you. Open it in the customer portal."),
                                    {"company": settings.QUOTE_PDF_COMPANY_NAME, "title": share.document.title}),
                              link=reverse("portal:share", args=[share.pk]), once_key=f"share-{share.pk}")
    return sent


def quote_sent(*, quote, share) -> int:
    """A quote was sent to the customer's portal (crm.services.quote_pdf.quote_send): its portal users who
    agreed hear that a quote waits for their answer."""
    from backend.notifications.customers import email_contact

    sent = 0
    for contact in _portal_contacts(quote.customer_id):
        sent += email_contact(kind="customer.quote_to_answer", contact=contact,
                              subject=(N_("Quote %(number)s waits for your answer"), {"number": quote.number}),
                              body=((N_("Please review quote %(number)s in the customer portal and accept or "
                                        "decline it there by %(date)s."),
                                     {"number": quote.number, "date": quote.valid_until.isoformat()})
                                    if quote.valid_until else
                                    (N_("Please review quote %(number)s in the customer portal and accept or "
                                        "decline it there."), {"number": quote.number})),
                              link=reverse("portal:share", args=[share.pk]), once_key=f"quote-{quote.pk}")
    return sent
