"""Reads of the mail intake, for whom the policy lets work the queue: every waiting message (nobody owns them yet),
and the filed ones of the customers the reader may see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from backend.access.policy import visible
from backend.access.policy.intake import may_work_intake_queue
from backend.crm.models import Customer
from backend.common.errors import NotFound
from backend.intake.models import IntakeMessage, IntakePart, MessageStatus


def _with_parts(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("customer", "quote", "order", "assigned_by", "documents_owner").prefetch_related(
        Prefetch("parts", queryset=IntakePart.objects.select_related("document").order_by("position"))
    )


def intake_queue(*, user) -> QuerySet[IntakeMessage]:
    """The messages waiting for a customer, oldest first (nothing for those outside the queue's roles)."""
    if not may_work_intake_queue(user):
        return IntakeMessage.objects.none()
    return _with_parts(IntakeMessage.objects.filter(status=MessageStatus.QUEUED)).order_by("received_at", "id")


def intake_recent(*, user, limit: int = 20) -> list[IntakeMessage]:
    """The newest messages filed or assigned (what became of the mail) with a customer `user` may see."""
    if not may_work_intake_queue(user):
        return []
    return list(_with_parts(_filed_visible(user)).order_by("-received_at", "-id")[:limit])


def _filed_visible(user) -> QuerySet[IntakeMessage]:
    """Filed and assigned messages whose customer `user` may see (a filed message says what its customer wrote)."""
    customers = visible(user, Customer.objects.all()).values("pk")
    return IntakeMessage.objects.filter(status__in=[MessageStatus.FILED, MessageStatus.ASSIGNED],
                                        customer__in=customers)


def intake_message_get(*, user, message_id: int) -> IntakeMessage:
    if not may_work_intake_queue(user):
        raise NotFound()
    waiting = IntakeMessage.objects.filter(status=MessageStatus.QUEUED)
    message = _with_parts((waiting | _filed_visible(user)).filter(pk=message_id)).first()
    if message is None:
        raise NotFound()
    return message
