"""Home: the search box first, then what is waiting for me, by role.

* Sales and service (and staff): my documents, locks, reminders, open quotes, dispatches to confirm.
* Compliance: recent refusals, the chain's last verification and its checkpoints, recent exports, and
  the console's questions one click away.
* Administrators: the readiness of each dependency (the /readyz probes: database, storage, search,
  broker), then what every member of staff sees.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backend.accounts.models import Role
from backend.audit import console
from backend.crm.models import DispatchState
from backend.crm.selectors.activities import reminder_list_open
from backend.crm.selectors.quotes import open_quotes_owned_visible
from backend.crm.selectors.service import service_record_list_visible
from backend.documents.selectors import document_rows_visible
from backend.web.pages import staff_page
from backend.web.views.compliance import linked_events

HOME_ROWS = 8


def _my_work(user, now) -> dict:
    return {
        # titles, kinds and valid versions only: no people, no tags (document_rows_visible)
        "recent": document_rows_visible(user=user, filters={"owner": user.pk}).order_by(
            "-updated_at", "-id")[:HOME_ROWS],
        "checked_out": document_rows_visible(user=user, filters={"checked_out_by": user.pk}).filter(
            checkout_expires_at__gt=now).order_by("checked_out_at")[:HOME_ROWS],
        "reminders": reminder_list_open(user=user)[:HOME_ROWS],
        "quotes": open_quotes_owned_visible(user=user, limit=HOME_ROWS),
        "dispatches": service_record_list_visible(
            user=user, filters={"engineer": user.pk, "dispatch_state": [DispatchState.DISPATCHED]})[:HOME_ROWS],
    }


def _checkpoints() -> dict:
    """Where the chain's head is signed to, how often, and whether that storage refuses rewrites."""
    from backend.audit.checkpoints import checkpoint_bucket

    try:
        enforced = bool(checkpoint_bucket().enforced)
    except Exception:  # noqa: BLE001 - a misconfigured bucket shows as "not enforced", the verification says more
        enforced = False
    return {"enforced": enforced, "every_minutes": max(1, settings.AUDIT_CHECKPOINT_SECONDS // 60)}


def _compliance(user) -> dict:
    verification = console.last_chain_verification()
    denials, exports = list(console.recent_denials(limit=HOME_ROWS)), console.recent_exports(limit=5)
    # both lists' people and customers named with one query each, whatever the events hold
    linked_events([*denials, *exports])
    return {
        "denials": denials,
        "verification": verification,
        "verification_newer": console.events_since(verification.id) if verification else None,
        "checkpoints": _checkpoints(),
        "exports": exports,
    }


def _health() -> dict:
    from backend.ops.probes import readiness

    ready, results = readiness()
    return {"ready": ready, "probes": results}


@staff_page
@require_GET
def home(request):
    user = request.user
    now = timezone.now()
    context = {"section": "home", "now": now, "role": user.role}
    if user.role == Role.COMPLIANCE:
        context["compliance"] = _compliance(user)
    else:
        context.update(_my_work(user, now))
    if user.role == Role.ADMIN:
        context["health"] = _health()
    return render(request, "web/home.html", context)
