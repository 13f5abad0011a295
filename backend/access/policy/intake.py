"""Who works the mail intake's queue (backend/intake): the roles in MAIL_INTAKE_QUEUE_ROLES (administrators,
sales and the service desk unless the deployment names others). They see every queued message (sender,
subject, attachments' names: the queue exists because nobody owns these yet) and assign one to a customer
they may view; what the message becomes is then documents owned by the record's owner (policy/documents.py
applies to them as to any document). A filed message (sender, subject, its parts' names) shows only to those
who may see its customer (policy/crm.py). Portal users, inactive users and other roles see nothing."""

from __future__ import annotations

from django.conf import settings

from backend.access.policy.users import is_active_staff


def may_work_intake_queue(actor) -> bool:
    return is_active_staff(actor) and actor.role in settings.MAIL_INTAKE_QUEUE_ROLES
