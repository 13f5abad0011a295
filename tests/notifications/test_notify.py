"""notify(): one notification per active staff recipient, in each one's language, once per once_key, and
e-mailed or held for the digest as each recipient chose."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils.translation import gettext_lazy, gettext_noop

from backend.accounts.models import Role
from backend.notifications.digest import send_daily_digests
from backend.notifications.kinds import UnknownKind, register_kind
from backend.notifications.models import DeliveryRecord, DeliveryStatus, Notification, Preference
from backend.notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = register_kind("tests.something_happened", label="Something happened (tests)", group="other")
EMAIL_KIND = register_kind("tests.emailed_by_default", label="Emailed (tests)", group="other", default="email")


@pytest.fixture(autouse=True)
def _memory_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_one_notification_per_active_staff_recipient():
    # given two staff users (one named twice), an inactive one and a portal user
    alice, bob = UserFactory(), UserFactory()
    gone = UserFactory(is_active=False)
    portal = UserFactory(role=Role.PORTAL)
    # when
    recorded = notify(kind=KIND, recipients=[alice, bob, alice, gone, portal, None], title="Quote Q-1 accepted",
                      body="By ACME", link="/quotes/1/")
    # then
    assert recorded == 2
    rows = Notification.objects.order_by("recipient_id")
    assert [row.recipient for row in rows] == [alice, bob]
    assert {(row.title, row.body, row.link, row.read_at) for row in rows} == {("Quote Q-1 accepted", "By ACME", "/quotes/1/", None)}


def test_texts_are_rendered_in_each_recipients_language():
    # given one English and one Chinese reader
    english = UserFactory(preferred_language="en")
    chinese = UserFactory(preferred_language="zh-hans")
    # when a (msgid, params) title and a lazy body are passed
    notify(kind=KIND, recipients=[english, chinese], title=(gettext_noop("Hello %(name)s,"), {"name": "Li"}),
           body=gettext_lazy("Sales"))
    # then each reads them in their own language
    assert Notification.objects.get(recipient=english).title == "Hello Li,"
    assert Notification.objects.get(recipient=chinese).title == "Li，您好："
    assert Notification.objects.get(recipient=chinese).body == "销售"


def test_once_key_makes_it_idempotent_per_recipient():
    alice, bob = UserFactory(), UserFactory()
    assert notify(kind=KIND, recipients=[alice], title="Reminder due", once_key="reminder-7") == 1
    # when the same key comes again, for alice and a new recipient
    assert notify(kind=KIND, recipients=[alice, bob], title="Reminder due", once_key="reminder-7") == 1
    # then alice still has one, bob got his
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert Notification.objects.filter(recipient=bob).count() == 1
    # another kind with the same key is another notification
    assert notify(kind=EMAIL_KIND, recipients=[alice], title="x", once_key="reminder-7") == 1


def test_unknown_kind_and_foreign_links_are_refused():
    alice = UserFactory()
    with pytest.raises(UnknownKind):
        notify(kind="tests.never_registered", recipients=[alice], title="x")
    notify(kind=KIND, recipients=[alice], title="x", link="https://evil.example/")
    notify(kind=KIND, recipients=[alice], title="y", link="//evil.example/")
    assert set(Notification.objects.values_list("link", flat=True)) == {""}


def test_target_is_recorded():
    alice = UserFactory()
    other = UserFactory()
    notify(kind=KIND, recipients=alice, title="x", target=other)
    row = Notification.objects.get()
    assert (row.target_type, row.target_id) == ("accounts.user", str(other.pk))


def test_email_preference_sends_after_commit_only(django_capture_on_commit_callbacks):
    # given a user who chose e-mail for the kind, and one who kept the default (inbox)
    emailed = UserFactory(email="emailed@example.com")
    inbox_only = UserFactory(email="inbox@example.com")
    Preference.objects.create(user=emailed, kind=KIND, delivery="email")
    # when notified, nothing is sent before commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(kind=KIND, recipients=[emailed, inbox_only], title="Quote Q-2 declined", link="/quotes/2/")
        assert mail.outbox == []
    # then one e-mail went to the one who chose it, with the link on the site
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [["emailed@example.com"]]
    assert "Quote Q-2 declined" in mail.outbox[0].subject
    assert "/quotes/2/" in mail.outbox[0].body
    assert DeliveryRecord.objects.get().status == DeliveryStatus.SENT


def test_kind_default_applies_without_a_preference(django_capture_on_commit_callbacks):
    user = UserFactory(email="someone@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=EMAIL_KIND, recipients=[user], title="Default e-mail")
    assert len(mail.outbox) == 1


def test_digest_preference_holds_then_sends_one_digest_once(django_capture_on_commit_callbacks):
    # given a user who chose the daily digest, notified twice
    user = UserFactory(email="digest@example.com", preferred_language="zh-hans")
    Preference.objects.create(user=user, kind=KIND, delivery="digest")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=KIND, recipients=[user], title="First")
        notify(kind=KIND, recipients=[user], title="Second")
    assert mail.outbox == []
    # when the digest runs twice
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests() == 0
    # then one e-mail holds both
    assert len(mail.outbox) == 1
    assert "First" in mail.outbox[0].body and "Second" in mail.outbox[0].body
    assert Notification.objects.filter(digested_at__isnull=True).count() == 0


def test_notify_many_records_a_batch_once_in_each_language_and_emails_by_preference(
        django_capture_on_commit_callbacks):
    from backend.notifications.services import Notice, notify_many

    english = UserFactory(email="en@example.com")
    chinese = UserFactory(email="zh@example.com", preferred_language="zh-hans")
    Preference.objects.create(user=english, kind=KIND, delivery="email")
    gone = UserFactory(is_active=False)
    notify(kind=KIND, recipients=[english], title="told before", once_key="k-1")
    notices = [Notice(recipient_id=english.pk, title="again", once_key="k-1"),  # told already
               Notice(recipient_id=english.pk, title=(gettext_noop("Hello %(name)s,"), {"name": "Li"}), once_key="k-2"),
               Notice(recipient_id=chinese.pk, title=(gettext_noop("Hello %(name)s,"), {"name": "Li"}), once_key="k-2"),
               Notice(recipient_id=chinese.pk, title="twice in one batch", once_key="k-2"),
               Notice(recipient_id=gone.pk, title="inactive", once_key="k-3")]
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_many(kind=KIND, notices=notices) == 2
        assert notify_many(kind=KIND, notices=notices) == 0
    assert sorted(Notification.objects.filter(once_key="k-2").values_list("title", flat=True)) == [
        "Hello Li,", "Li，您好："]
    assert [message.to for message in mail.outbox] == [["en@example.com"]]
    assert "Hello Li," in mail.outbox[0].subject
