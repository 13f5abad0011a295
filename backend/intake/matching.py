"""Which customer (and which quote or order) a message belongs to.

    1. the sender's address is a contact's address: that contact's customer (when all such contacts are of
       one customer);
    2. otherwise the sender's domain: the one customer whose contacts write from it (never a public mail
       domain, MAIL_INTAKE_PUBLIC_DOMAINS, and never when two customers share it);
    3. a quote or order number in the subject (Q-2026-000123, SO-2026-1A2B3C4D, a revision's -R2): that record,
       and its customer when the sender matched none.

A number whose customer is not among the sender's customers is a conflict, and a sender of two customers with
no number is ambiguous: such messages wait for staff, as unmatched ones do. Reads only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Lower, Upper

from backend.crm.models import Contact, Customer, Order, Quote
from backend.intake.models import MatchedBy

# Words of letters, digits and inner hyphens/slashes/dots with at least one digit: candidates for numbers.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-_/.][A-Za-z0-9]+)+")


@dataclass(frozen=True)
class Match:
    customer: Customer | None = None
    quote: Quote | None = None
    order: Order | None = None
    matched_by: str = MatchedBy.NONE
    problem: str = ""  # "no_match", "ambiguous", "conflict"


def _customers_by_address(sender: str) -> list[int]:
    return list(Contact.objects.annotate(address=Lower("email")).filter(address=sender)
                .values_list("customer_id", flat=True).distinct())


def _customers_by_domain(domain: str) -> list[int]:
    if not domain or domain in {d.lower() for d in settings.MAIL_INTAKE_PUBLIC_DOMAINS}:
        return []
    return list(Contact.objects.annotate(address=Lower("email")).filter(address__endswith="@" + domain)
                .values_list("customer_id", flat=True).distinct()[:2])


def subject_numbers(subject: str) -> list[str]:
    return [token.upper() for token in _TOKEN.findall(subject or "") if any(c.isdigit() for c in token)][:20]


def _record_in_subject(subject: str) -> Quote | Order | None:
    numbers = subject_numbers(subject)
    if not numbers:
        return None
    order = (Order.objects.annotate(upper=Upper("number")).filter(upper__in=numbers)
             .select_related("customer", "owner").order_by("-id").first())
    if order is not None:
        return order
    return (Quote.objects.annotate(upper=Upper("number")).filter(upper__in=numbers)
            .select_related("customer", "owner").order_by("-id").first())


def match_message(*, sender: str, subject: str) -> Match:
    sender = (sender or "").lower()
    domain = sender.rpartition("@")[2] if "@" in sender else ""
    matched_by = MatchedBy.NONE
    candidates = _customers_by_address(sender) if sender else []
    if candidates:
        matched_by = MatchedBy.ADDRESS
    else:
        candidates = _customers_by_domain(domain)
        matched_by = MatchedBy.DOMAIN if candidates else MatchedBy.NONE
    record = _record_in_subject(subject)
    if record is not None:
        if candidates and record.customer_id not in candidates:
            return Match(problem="conflict")
        return Match(customer=record.customer, matched_by=matched_by or MatchedBy.NUMBER,
                     quote=record if isinstance(record, Quote) else None,
                     order=record if isinstance(record, Order) else None)
    if len(candidates) > 1:
        return Match(problem="ambiguous")
    if not candidates:
        return Match(problem="no_match")
    return Match(customer=Customer.objects.select_related("owner").get(pk=candidates[0]), matched_by=matched_by)
