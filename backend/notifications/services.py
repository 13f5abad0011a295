"""Writes of the notifications app. ``notify()`` is what every other app calls.

    from django.utils.translation import gettext_lazy as _
    from backend.notifications.services import notify

    with transaction.atomic():
        ...  # the service's own writes
        notify(kind="sales.lead_assigned", recipients=[lead.owner],
               title=("Lead %(name)s is yours", {"name": lead.name}),
               body=_("Marketing assigned it to you."), link=reverse("web:customer", args=[lead.pk]),
               target=lead, once_key=f"lead-{lead.pk}-{lead.owner_id}")
        audit.record(...)

Texts are rendered once per recipient, in that recipient's language (``User.preferred_language``):
- a lazy string (``gettext_lazy("Quote accepted")``, ``format_lazy(...)``) is translated as is;
- a pair ``(msgid, params)`` is translated, then filled: ``gettext(msgid) % params`` (a lazy value among
  the params is translated too). Use the pair whenever the text has placeholders: ``gettext_lazy(...) %
  params`` would be rendered at once, in the caller's language. Mark the msgid for extraction with
  ``gettext_noop`` (or ``pgettext_noop``), so that the catalogue has it;
- a plain ``str`` is used as it is (a customer's name, a document's title).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from backend.accounts.models import Role, User
from backend.common.bulk_insert import insert_rows
from backend.notifications.kinds import Delivery, get_kind
from backend.notifications.models import DeliveryChannel, DeliveryRecord, Notification, Preference

TITLE_MAX = 300


# --- rendering ------------------------------------------------------------------------------------


def user_language(user) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    language = (getattr(user, "preferred_language", "") or "").lower()
    return language if language in codes else settings.LANGUAGE_CODE


def render_text(text: Any) -> str:
    """`text` in the active language: a (msgid, params) pair, a lazy string or a plain one."""
    if text is None:
        return ""
    if isinstance(text, tuple):
        msgid, params = text
        translated = gettext(str(msgid))
        if not params:
            return translated
        if isinstance(params, dict):
            return translated % {key: _param(value) for key, value in params.items()}
        return translated % tuple(_param(value) for value in params)
    return str(text)


def _param(value):
    if isinstance(value, (int, float)) or value is None:
        return value
    if isinstance(value, tuple):
        return render_text(value)
    return str(value)


def safe_link(link: str) -> str:
    """A path on this site ("/quotes/4/"), or "" for anything that could lead elsewhere."""
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 500:
        return ""
    return link


def absolute_link(link: str) -> str:
    return settings.SITE_URL.rstrip("/") + link if link else ""


def _target_parts(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, Model):
        return target._meta.label_lower, str(target.pk)
    raise TypeError("notify(target=...) takes a model instance or None")


# --- recipients -----------------------------------------------------------------------------------


def _recipients(recipients) -> list[User]:
    """Active staff users among `recipients` (a user, user ids, users or a queryset), once each."""
    if recipients is None:
        return []
    if isinstance(recipients, QuerySet):
        queryset = recipients
    else:
        if isinstance(recipients, (User, int)):
            recipients = [recipients]
        ids = []
        for item in recipients if isinstance(recipients, Iterable) else [recipients]:
            if item is None:
                continue
            ids.append(item.pk if isinstance(item, Model) else int(item))
        if not ids:
            return []
        queryset = User.objects.filter(pk__in=ids)
    return list(queryset.filter(is_active=True).exclude(role=Role.PORTAL).order_by("pk").distinct())


def delivery_for(user, kind: str) -> str:
    choice = Preference.objects.filter(user=user, kind=kind).values_list("delivery", flat=True).first()
    return choice or get_kind(kind).default


# --- notify ---------------------------------------------------------------------------------------


def notify(*, kind: str, recipients, title, body="", link: str = "", target=None,
           once_key: str | None = None) -> int:
    """Record one in-app notification per recipient (active staff users) and, by each recipient's preference
    for `kind`, e-mail it after commit (or hold it for the daily digest). `title`/`body` are rendered in each
    recipient's language (see the module's docstring). `once_key` makes it idempotent: a second call with
    the same (kind, recipient, once_key) does nothing. Returns how many were recorded. Call it inside your
    service's transaction (the e-mails are queued when it commits)."""
    kind_def = get_kind(kind)
    users = _recipients(recipients)
    if not users:
        return 0
    link = safe_link(link)
    target_type, target_id = _target_parts(target)
    once_key = str(once_key)[:200] if once_key not in (None, "") else None
    chosen = dict(Preference.objects.filter(user__in=users, kind=kind).values_list("user_id", "delivery"))
    already = set()
    if once_key is not None:
        already = set(Notification.objects.filter(kind=kind, recipient__in=users, once_key=once_key)
                      .values_list("recipient_id", flat=True))
    now = timezone.now()
    recorded = 0
    to_send: list[int] = []
    for user in users:
        if user.pk in already:
            continue
        delivery = chosen.get(user.pk, kind_def.default)
        with translation.override(user_language(user)):
            title_text = " ".join(render_text(title).split())[:TITLE_MAX]
            body_text = render_text(body).strip()
        row = Notification(recipient=user, kind=kind, title=title_text, body=body_text, link=link,
                           target_type=target_type, target_id=target_id, once_key=once_key,
                           delivery=delivery, created_at=now)
        if once_key is None:
            row.save()
        else:
            try:
                with transaction.atomic():  # a concurrent call with the same key loses quietly
                    row.save()
            except IntegrityError:
                continue
        recorded += 1
        if delivery == Delivery.EMAIL and user.email:
            to_send.append(_email_for(row, user).pk)
    if to_send:
        queue_deliveries(to_send)
    return recorded


@dataclass(frozen=True)
class Notice:
    """One notification of a batch for notify_many(): texts as notify() takes them."""

    recipient_id: int
    title: Any
    body: Any = ""
    link: str = ""
    target: Any = None
    once_key: str | None = None


def notify_many(*, kind: str, notices: list[Notice]) -> int:
    """notify() for a beat pass's batch: one notification per notice (to an active staff recipient), with the
    same preferences, languages and once-only keys, in a handful of queries whatever the batch's size.
    Returns how many were recorded."""
    kind_def = get_kind(kind)
    if not notices:
        return 0
    users = {user.pk: user for user in User.objects.filter(pk__in={n.recipient_id for n in notices},
                                                           is_active=True).exclude(role=Role.PORTAL)}
    chosen = dict(Preference.objects.filter(user_id__in=users, kind=kind).values_list("user_id", "delivery"))
    keys = [str(n.once_key)[:200] for n in notices if n.once_key]
    # by (kind, recipient, once_key): the unique index's own order, so the lookup stays small however many
    # notifications of this kind there are
    already = set(Notification.objects.filter(kind=kind, recipient_id__in=users, once_key__in=keys)
                  .values_list("recipient_id", "once_key")) if keys and users else set()
    now = timezone.now()
    # the batch's notices by their recipient's language, each language rendered under one activation
    by_language: dict[str, list[tuple[Notice, User, str | None]]] = {}
    seen = set()
    for notice in notices:
        user = users.get(notice.recipient_id)
        key = str(notice.once_key)[:200] if notice.once_key else None
        if user is None or (key is not None and ((user.pk, key) in already or (user.pk, key) in seen)):
            continue
        if key is not None:
            seen.add((user.pk, key))
        by_language.setdefault(user_language(user), []).append((notice, user, key))
    rows = []
    for language, items in by_language.items():
        with translation.override(language):
            for notice, user, key in items:
                target_type, target_id = _target_parts(notice.target)
                rows.append(Notification(
                    recipient=user, kind=kind, title=" ".join(render_text(notice.title).split())[:TITLE_MAX],
                    body=render_text(notice.body).strip(), link=safe_link(notice.link), target_type=target_type,
                    target_id=target_id, once_key=key, delivery=chosen.get(user.pk, kind_def.default),
                    created_at=now))
    if not rows:
        return 0
    try:
        with transaction.atomic():
            insert_rows(Notification, rows)
    except IntegrityError:
        # a concurrent pass recorded some of them first: keep the rest, and e-mail only what is ours
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        stored = {(r.recipient_id, r.once_key): r.pk for r in Notification.objects.filter(
            kind=kind, created_at=now, recipient_id__in={row.recipient_id for row in rows})}
        for row in rows:
            row.pk = stored.get((row.recipient_id, row.once_key))
    emailed = [row for row in rows if row.pk and row.delivery == Delivery.EMAIL and row.recipient.email]
    if emailed:
        from backend.notifications.mail import notification_email

        deliveries = []
        emailed_by_language: dict[str, list[Notification]] = {}
        for row in emailed:
            emailed_by_language.setdefault(user_language(row.recipient), []).append(row)
        for language, group in emailed_by_language.items():
            with translation.override(language):
                for row in group:
                    subject, text = notification_email(row)
                    deliveries.append(DeliveryRecord(channel=DeliveryChannel.EMAIL, kind=kind, notification=row,
                                                     recipient_user=row.recipient, to_address=row.recipient.email,
                                                     subject=subject[:300], body=text))
        insert_rows(DeliveryRecord, deliveries)
        queue_deliveries([delivery.pk for delivery in deliveries])
    return len(rows)


def _email_for(notification: Notification, user) -> DeliveryRecord:
    from backend.notifications.mail import notification_email

    with translation.override(user_language(user)):
        subject, text = notification_email(notification)
    return DeliveryRecord.objects.create(
        channel=DeliveryChannel.EMAIL, kind=notification.kind, notification=notification, recipient_user=user,
        to_address=user.email, subject=subject, body=text)


def queue_deliveries(ids: list[int]) -> None:
    """Send these deliveries once the current transaction commits (at once outside one)."""
    from backend.notifications.tasks import deliver

    ids = list(ids)

    def enqueue():
        for pk in ids:
            deliver.delay(pk)

    transaction.on_commit(enqueue)


# --- the inbox: read marks (the user's own rows; not audited, like reading mail) --------------------


def notification_mark_read(*, actor, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read; another user's, or a missing one, is NotFound."""
    from backend.common.errors import NotFound

    row = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if row is None:
        raise NotFound()
    if row.read_at is None:
        row.read_at = timezone.now()
        Notification.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=row.read_at)
    return row


def notifications_mark_all_read(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences ----------------------------------------------------------------------------------


def preferences_set(*, actor, choices: dict[str, str]) -> int:
    """Set the actor's delivery for each named kind (a kind's default needs no row); audited when anything
    changed. Unknown kinds or deliveries are InvalidInput. Returns how many kinds changed."""
    from backend.audit import services as audit
    from backend.common.errors import InvalidInput
    from backend.notifications.audit_events import NOTIFICATION_PREFERENCES_CHANGED

    for kind, delivery in choices.items():
        get_kind(kind)
        if delivery not in Delivery.ALL:
            raise InvalidInput("Unknown delivery.", fields={kind: ["Choose inbox, e-mail or digest."]})
    with transaction.atomic():
        current = dict(Preference.objects.select_for_update().filter(user=actor).values_list("kind", "delivery"))
        changed = {}
        for kind, delivery in choices.items():
            before = current.get(kind, get_kind(kind).default)
            if before == delivery:
                continue
            changed[kind] = {"from": before, "to": delivery}
            if delivery == get_kind(kind).default:
                Preference.objects.filter(user=actor, kind=kind).delete()
            else:
                Preference.objects.update_or_create(user=actor, kind=kind, defaults={"delivery": delivery})
        if changed:
            audit.record(NOTIFICATION_PREFERENCES_CHANGED, actor=actor, target=actor, detail={"changed": changed})
    return len(changed)


# --- watches --------------------------------------------------------------------------------------


def watch_set(*, actor, watching: bool, document=None, customer=None) -> bool:
    """Start or stop the actor watching a document or a customer they may see (else NotFound, as missing).
    Returns whether anything changed; audited when it did."""
    from backend.access.policy import Action
    from backend.access.services import require
    from backend.audit import services as audit
    from backend.notifications.audit_events import NOTIFICATION_WATCH_STARTED, NOTIFICATION_WATCH_STOPPED
    from backend.notifications.models import Watch

    if (document is None) == (customer is None):
        raise ValueError("watch a document or a customer")
    target = document if document is not None else customer
    require(actor=actor, action=Action.VIEW, obj=target)
    lookup = {"document": document} if document is not None else {"customer": customer}
    with transaction.atomic():
        existing = Watch.objects.select_for_update().filter(user=actor, **lookup).first()
        if watching == (existing is not None):
            return False
        if watching:
            Watch.objects.create(user=actor, **lookup)
        else:
            existing.delete()
        audit.record(NOTIFICATION_WATCH_STARTED if watching else NOTIFICATION_WATCH_STOPPED, actor=actor,
                     target=target)
    return True
