"""E-mails to customers' contacts: only with the contact's consent, each with an unsubscribe link that works
without signing in (/portal/unsubscribe/<token>/, also as a one-click List-Unsubscribe header).

    email_contact(kind="customer.share_new", contact=contact,
                  subject=("New document from %(company)s", {...}), body=..., link=portal_path,
                  once_key=f"share-{share.pk}")

Texts follow notify()'s rules (lazy strings or (msgid, params) pairs), rendered in the contact's language
(their portal account's, else the site's default). Call it inside the service's transaction: the e-mail is
queued when it commits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backend.common.errors import InvalidInput, NotFound
from backend.notifications.models import ContactEmailConsent, DeliveryChannel, DeliveryRecord
from backend.notifications.services import absolute_link, render_text, safe_link, queue_deliveries


def contact_language(contact) -> str:
    account = getattr(contact, "portal_account", None) if contact.pk else None
    try:
        language = account.user.preferred_language if account is not None else ""
    except Exception:  # noqa: BLE001 - a missing related row
        language = ""
    codes = {code for code, _name in settings.LANGUAGES}
    return language if language in codes else settings.LANGUAGE_CODE


def has_consent(contact) -> bool:
    return ContactEmailConsent.objects.filter(contact=contact, consented=True).exists()


def unsubscribe_url(consent: ContactEmailConsent) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:unsubscribe", args=[consent.token])


def email_contact(*, kind: str, contact, subject, body, link: str = "", once_key: str | None = None) -> bool:
    """Queue one e-mail to `contact` if they consented and have an address; once per (kind, contact,
    once_key) when a key is given. Returns whether one was queued."""
    consent = ContactEmailConsent.objects.filter(contact=contact, consented=True).first()
    if consent is None or not (contact.email or "").strip():
        return False
    once_key = str(once_key)[:200] if once_key not in (None, "") else None
    if once_key and DeliveryRecord.objects.filter(kind=kind, contact=contact, once_key=once_key).exists():
        return False
    stop = unsubscribe_url(consent)
    with translation.override(contact_language(contact)):
        subject_text = " ".join(render_text(subject).split())[:280]
        lines = [_("Dear %(name)s,") % {"name": contact.name}, "", render_text(body).strip()]
        path = safe_link(link)
        if path:
            lines += ["", absolute_link(path)]
        lines += ["", "--", _("You receive these e-mails because you agreed to hear from us about your orders, "
                               "service requests and documents. To stop them, open: %(link)s") % {"link": stop}]
    row = DeliveryRecord(channel=DeliveryChannel.EMAIL, kind=kind, contact=contact, to_address=contact.email.strip(),
                         subject=subject_text, body="\n".join(lines), once_key=once_key,
                         headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return False
    queue_deliveries([row.pk])
    return True


def contact_email_consent_set(*, actor, contact, consented: bool) -> bool:
    """Record that a contact agreed to (or no longer wants) our e-mails, as staff who may change the
    customer. Returns whether it changed; audited when it did."""
    from backend.access.policy import Action
    from backend.access.services import require

    require(actor=actor, action=Action.CHANGE, obj=contact.customer)
    return _consent_change(actor=actor, contact=contact, consented=consented, by="staff")


def contact_email_consent_own(*, actor) -> ContactEmailConsent | None:
    """The signed-in portal user's own consent row (None before anything was ever recorded)."""
    contact = _own_contact(actor)
    return ContactEmailConsent.objects.filter(contact=contact).first()


def contact_email_consent_set_own(*, actor, consented: bool) -> bool:
    """A customer's contact, signed in to the portal, agrees to (or stops) our e-mails about their orders,
    service requests and documents. Returns whether it changed; audited (by "contact") when it did."""
    contact = _own_contact(actor)
    if consented and not (contact.email or "").strip():
        raise InvalidInput("We have no e-mail address for you: ask your account manager to add one.",
                           fields={"consented": ["No e-mail address."]})
    return _consent_change(actor=actor, contact=contact, consented=consented, by="contact")


def _consent_change(*, actor, contact, consented: bool, by: str) -> bool:
    from backend.audit import services as audit
    from backend.notifications.audit_events import CONTACT_EMAIL_CONSENT_CHANGED

    with transaction.atomic():
        consent, _created = ContactEmailConsent.objects.select_for_update().get_or_create(contact=contact)
        if consent.consented == consented:
            return False
        now = timezone.now()
        consent.consented = consented
        consent.consented_at = now if consented else consent.consented_at
        consent.withdrawn_at = None if consented else now
        consent.updated_at = now
        consent.save()
        audit.record(CONTACT_EMAIL_CONSENT_CHANGED, actor=actor, target=contact, customer_id=contact.customer_id,
                     detail={"consented": consented, "by": by})
    return True


def _own_contact(actor):
    """The contact behind a signed-in, active portal account; NotFound for anyone else."""
    from backend.access.policy import portal_customer_id

    account = getattr(actor, "portal_account", None) if portal_customer_id(actor) is not None else None
    if account is None:
        raise NotFound()
    return account.contact


def contact_for_unsubscribe(*, token: str):
    consent = ContactEmailConsent.objects.select_related("contact", "contact__customer").filter(token=token).first()
    if consent is None or not token:
        raise NotFound()
    return consent


def contact_unsubscribe(*, token: str) -> ContactEmailConsent:
    """The contact's own "stop these e-mails" from the link (no sign-in: the token is the secret). Unknown
    token: NotFound. Unsubscribing twice changes nothing. Audited with no actor."""
    from backend.audit import services as audit
    from backend.notifications.audit_events import CONTACT_EMAIL_CONSENT_CHANGED

    with transaction.atomic():
        consent = (ContactEmailConsent.objects.select_for_update().select_related("contact")
                   .filter(token=token).first() if token else None)
        if consent is None:
            raise NotFound()
        if consent.consented:
            now = timezone.now()
            consent.consented = False
            consent.withdrawn_at = now
            consent.updated_at = now
            consent.save(update_fields=["consented", "withdrawn_at", "updated_at"])
            audit.record(CONTACT_EMAIL_CONSENT_CHANGED, actor=None, target=consent.contact,
                         customer_id=consent.contact.customer_id, detail={"consented": False, "by": "unsubscribe_link"})
    return consent
