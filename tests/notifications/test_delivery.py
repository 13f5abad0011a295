"""E-mail deliveries against a real SMTP server: sent once, failures recorded, retried, then given up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from backend.notifications.kinds import register_kind
from backend.notifications.mail import retry_due_deliveries, send_delivery
from backend.notifications.models import DeliveryRecord, DeliveryStatus, Preference
from backend.notifications.services import notify
from backend.notifications.sms import FileSmsBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = register_kind("tests.delivered", label="Delivered (tests)", group="other", default="email")


def test_notification_email_reaches_the_smtp_server_once(smtp_server, django_capture_on_commit_callbacks):
    # given a user who hears about the kind by e-mail (its default)
    user = UserFactory(email="rep@example.com", preferred_language="zh-hans")
    # when notified
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=KIND, recipients=[user], title="Invoice INV-9 is overdue", link="/orders/9/")
    # then the SMTP server received one message with the link on the site
    [message] = smtp_server.to("rep@example.com")
    assert "Invoice INV-9 is overdue" in message["Subject"]
    assert "http://127.0.0.1:8000/orders/9/" in smtp_server.text(message) or "/orders/9/" in smtp_server.text(message)
    delivery = DeliveryRecord.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    # and sending it again (a retried task) sends nothing more
    assert send_delivery(delivery.pk) == DeliveryStatus.SENT
    assert len(smtp_server.messages) == 1


def test_a_refused_send_is_recorded_and_retried_later(smtp_server, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    user = UserFactory(email="busy@example.com")
    smtp_server.refuse = 1
    # when the first try is refused by the server
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=KIND, recipients=[user], title="Quote about to expire")
    delivery = DeliveryRecord.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.attempts == 1 and "451" in delivery.last_error
    assert smtp_server.messages == []
    # then the retry pass does nothing before the pause is over, and sends it after
    assert retry_due_deliveries() == 0
    assert retry_due_deliveries(now=timezone.now() + dt.timedelta(hours=1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(smtp_server.to("busy@example.com")) == 1


def test_a_delivery_is_given_up_after_the_last_attempt(smtp_server, settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    user = UserFactory(email="down@example.com")
    smtp_server.refuse = 5
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=KIND, recipients=[user], title="Never arrives")
    later = timezone.now() + dt.timedelta(days=1)
    retry_due_deliveries(now=later)
    delivery = DeliveryRecord.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)
    # a failed delivery stays failed, for an admin to see
    assert retry_due_deliveries(now=later + dt.timedelta(days=1)) == 0


def test_inbox_only_sends_nothing(smtp_server, django_capture_on_commit_callbacks):
    user = UserFactory(email="quiet@example.com")
    Preference.objects.create(user=user, kind=KIND, delivery="inbox")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(kind=KIND, recipients=[user], title="Only in the inbox") == 1
    assert smtp_server.messages == [] and not DeliveryRecord.objects.exists()


def test_file_sms_backend_writes_one_json_line_per_message(tmp_path):
    path = tmp_path / "sms.jsonl"
    backend = FileSmsBackend(str(path))
    backend.send(to="+8613800000000", text="您的服务工程师明天上午到")
    backend.send(to="+8613900000000", text="Second")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["text"]) for line in lines] == [
        ("+8613800000000", "您的服务工程师明天上午到"), ("+8613900000000", "Second")]
    with pytest.raises(ValueError):
        backend.send(to=" ", text="nowhere")
