"""notify_many's bulk insert (backend.common.bulk_insert.insert_rows: COPY with ids from the sequence on PostgreSQL): rows are
stored as bulk_create stores them, ids match, and a once-key another pass recorded first is an IntegrityError
(as bulk_create's), which notify_many answers by keeping the rest and e-mailing only what is its own."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from backend.notifications.kinds import register_kind
from backend.notifications.models import DeliveryRecord, Notification
from backend.common.bulk_insert import insert_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = register_kind("tests.bulk_inserted", label="Bulk inserted (tests)", group="other", default="email")


def test_inserted_rows_get_their_ids_and_every_column():
    # given two notifications and an e-mail of one, not saved
    user = UserFactory(email="a@example.com")
    rows = [Notification(recipient=user, kind=KIND, title=f"第 {n} 条 “quoted”\ttab", body="line\nline",
                         link="/x/", target_type="crm.customer", target_id=str(n), once_key=f"k-{n}",
                         delivery="email") for n in range(2)]

    # when they are inserted, then their e-mail
    insert_rows(Notification, rows)
    email = DeliveryRecord(channel="email", kind=KIND, notification=rows[0], recipient_user=user,
                           to_address=user.email, subject="s", body="b", headers={"List-Unsubscribe": "<x>"})
    insert_rows(DeliveryRecord, [email])

    # then each holds the id of its stored row, and the stored rows hold what the objects held
    for row in rows:
        stored = Notification.objects.get(pk=row.pk)
        assert (stored.title, stored.body, stored.once_key, stored.recipient_id, stored.created_at) == (
            row.title, row.body, row.once_key, user.pk, row.created_at)
    stored = DeliveryRecord.objects.get(pk=email.pk)
    assert stored.notification_id == rows[0].pk and stored.headers == {"List-Unsubscribe": "<x>"}
    assert stored.status == "pending" and stored.attempts == 0


def test_a_once_key_recorded_first_elsewhere_is_an_integrity_error():
    # given a notification another pass recorded
    user = UserFactory()
    Notification.objects.create(recipient=user, kind=KIND, title="first", once_key="k-1")

    # when a batch holding the same key is inserted, then it is refused as bulk_create would be, whole
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            insert_rows(Notification, [Notification(recipient=user, kind=KIND, title="new", once_key="k-2"),
                                        Notification(recipient=user, kind=KIND, title="again", once_key="k-1")])
    assert list(Notification.objects.values_list("title", flat=True)) == ["first"]
