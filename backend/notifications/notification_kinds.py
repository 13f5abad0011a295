"""The kinds whose triggers live in the notifications app (backend/notifications/triggers.py); other apps
register theirs in their own notification_kinds.py. One line a kind."""

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import Delivery, register_kind

# Sales
SALES_REMINDER_DUE = register_kind("sales.reminder_due", label=_("One of my reminders is due"), group="sales", default=Delivery.EMAIL)
SALES_CUSTOMER_QUESTION = register_kind("sales.customer_question", label=_("A customer asks me, their account manager, in the portal"), group="sales", default=Delivery.EMAIL)
SALES_QUOTE_DECIDED = register_kind("sales.quote_decided", label=_("A customer accepts or declines my quote"), group="sales", default=Delivery.EMAIL)
SALES_QUOTE_EXPIRING = register_kind("sales.quote_expiring", label=_("A quote I sent is about to expire"), group="sales")
SALES_INVOICE_OVERDUE = register_kind("sales.invoice_overdue", label=_("An invoice of my order is overdue"), group="sales", default=Delivery.DIGEST)
# Documents
DOCUMENT_SHARE_OPENED = register_kind("documents.share_opened", label=_("A customer opens a document I shared"), group="documents")
DOCUMENT_WATCHED_CHANGED = register_kind("documents.watched_changed", label=_("A new version or an approval of a document I watch"), group="documents")
DOCUMENT_EXPIRING = register_kind("documents.expiring", label=_("A share or an approval of my document is about to end"), group="documents")
DOCUMENT_APPROVAL_WAITING = register_kind("documents.approval_waiting", label=_("A version waits for a second person's approval"), group="documents", default=Delivery.EMAIL)
DOCUMENT_SHARES_SUSPENDED = register_kind("documents.shares_suspended", label=_("Shares are stopped because a document was reclassified"), group="documents", default=Delivery.EMAIL)
