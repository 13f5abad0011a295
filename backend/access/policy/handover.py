"""Who may hand a leaving rep's book to others, and who may receive it.

A rep's book is what they hold: the customers they own, their open opportunities and quotes, their open
reminders and their places on account teams. Handing a customer to another owner is the customer's
MANAGE action (policy/crm.py: its owner and administrators). A handover moves a whole book at once, so
it is for whoever may manage every customer whatever its owner: the administrators — never on their own
book (nobody hands themselves over, as nobody raises themselves in users.py), never a customer's portal
user's (they hold no book). Each row moved is still checked against the CRM rules by the service.

A book goes to active colleagues only: through the rules that follow a customer's owner and team, a
portal user would reach other customers' records, and an inactive user could not act on any of it.
"""

from __future__ import annotations

from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role


def may_hand_over_books(actor) -> bool:
    """May `actor` open the handover page and hand anyone's book over (administrators)?"""
    return is_active_staff(actor) and actor.role == Role.ADMIN


def may_hand_over_book_of(actor, rep) -> bool:
    """May `actor` hand over what `rep` holds? `rep` may be inactive already (a rep who has left)."""
    return (may_hand_over_books(actor) and rep is not None and rep.pk != actor.pk
            and rep.role != Role.PORTAL)


def handover_recipient_refusal(rep, recipient) -> str | None:
    """Why `recipient` may not receive from `rep`'s book, or None: "inactive", "portal_user", "same"."""
    if recipient.pk == rep.pk:
        return "same"
    if not recipient.is_active:
        return "inactive"
    if recipient.role == Role.PORTAL:
        return "portal_user"
    return None
