"""The few writes that belong to the staff web interface itself.

Everything about documents and the CRM goes through those apps' services; what is left here is the
session (signing in and out, each audited), the person's language, and the audit console's own
audited actions (exporting the trail, verifying its chain).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.db import transaction

from backend.access.policy import is_active_staff, may_open_compliance_console
from backend.accounts import services as accounts
from backend.accounts.models import User
from backend.audit import services as audit
from backend.audit.selectors import ChainVerification
from backend.common.errors import NotFound



def session_sign_in(*, request, username: str, password: str) -> User | None:
    """Authenticate and start a session; the attempt is audited either way. None when refused.

    Raises TooManyAttempts (429) while the address, the (address, name) pair or the name must wait
    (backend.accounts.signin_limits).
    """
    username = (username or "").strip()
    accounts.staff_sign_in_check(request=request, username=username, via="web")
    user = authenticate(request, username=username, password=password) if username and password else None
    # Only active staff sign in here (the policy's is_active_staff): customer contacts sign in to the portal.
    if not is_active_staff(user):
        accounts.staff_sign_in_failed(request=request, username=username, via="web")
        return None
    accounts.staff_sign_in_succeeded(request=request, username=username)
    login(request, user)
    audit.record("web.signed_in", actor=user, target=user)
    return user


def session_sign_out(*, request) -> None:
    user = request.user
    if getattr(user, "is_authenticated", False):
        audit.record("web.signed_out", actor=user, target=user)
    logout(request)


def audit_export_record(*, actor, export_format: str, filters: dict) -> None:
    """Record that `actor` exported the audit trail with these filters (before any row leaves)."""
    if not may_open_compliance_console(actor):
        raise NotFound()
    with transaction.atomic():
        audit.record("audit.log.exported", actor=actor, target_type="audit.auditevent",
                     target_label="audit trail export",
                     detail={"format": export_format, "filters": filters})


def audit_chain_verify_now(*, actor) -> ChainVerification:
    """Walk the whole chain, compare it with the newest checkpoint, and record the outcome."""
    if not may_open_compliance_console(actor):
        raise NotFound()
    return audit.audit_trail_verify_and_record(actor=actor)
