"""Mail intake audit event types (discovered by the audit app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

INTAKE_MESSAGE_FILED = register("intake.message.filed", "A mailed message was matched to its customer on arrival and became documents", label=_("Filed a mailed message"))
INTAKE_MESSAGE_QUEUED = register("intake.message.queued", "A mailed message matched no customer (or more than one) and waits in the intake queue", label=_("Queued a mailed message"))
INTAKE_MESSAGE_DUPLICATE = register("intake.message.duplicate", "A mailed message with a Message-ID taken before arrived again; nothing new was made", label=_("Skipped a repeated mailed message"))
INTAKE_MESSAGE_ASSIGNED = register("intake.message.assigned", "Staff assigned a queued mailed message to a customer; its documents were made", label=_("Assigned a mailed message"))
