"""Audit event types of the staff web interface (discovered by the audit app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

WEB_SIGNED_IN = register("web.signed_in", "A staff user signed in to the web interface.",
                         label=_("Signed in to the web interface"))
WEB_SIGNED_OUT = register("web.signed_out", "A staff user signed out of the web interface.",
                          label=_("Signed out of the web interface"))
WEB_SIGN_IN_FAILED = register("web.sign_in_failed", "A sign-in to the web interface was refused.",
                              label=_("Web sign-in refused"))
AUDIT_LOG_EXPORTED = register(
    "audit.log.exported", "A filtered view of the audit trail was exported (CSV or JSON).",
    label=_("Exported the audit log"),
)
