"""Audit event types of notifications (discovered by the audit app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

NOTIFICATION_PREFERENCES_CHANGED = register(
    "notifications.preferences.changed", "A user chose how they hear about notification kinds (inbox, e-mail, digest)",
    label=_("Changed notification preferences"))
NOTIFICATION_WATCH_STARTED = register(
    "notifications.watch.started", "A user started watching a document or a customer",
    label=_("Started watching"))
NOTIFICATION_WATCH_STOPPED = register(
    "notifications.watch.stopped", "A user stopped watching a document or a customer",
    label=_("Stopped watching"))
CONTACT_EMAIL_CONSENT_CHANGED = register(
    "notifications.contact_consent.changed",
    "A customer contact's consent to e-mails was given or withdrawn (by staff, by the contact in the portal, or by the contact's unsubscribe link)",
    label=_("Changed a contact's e-mail consent"))
