"""Shares and portal accounts moved from the documents and accounts apps into sharing, rows and all.

A database from before the move (documents 0004, accounts 0003, no sharing app yet) holding a share,
a portal account and its invitation migrates forward with every row in place, readable through the
sharing models, and with the content types (and so permissions granted on them) following the models.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from backend.sharing.models import DocumentShare, PortalAccount, PortalInvitation
from tests import factories
from tests.crm.factories import CustomerFactory

BEFORE_THE_MOVE = [
    ("documents", "0004_idempotency_fingerprint"),
    ("accounts", "0003_api_tokens_hashed"),
    ("sharing", None),
]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader: it sees what is applied now


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)  # migrations run outside the test's transaction
def test_a_database_from_before_the_move_keeps_its_shares_and_portal_accounts():
    # given the people, customer and document the rows point at (their tables did not move)
    owner = factories.UserFactory(username="owner")
    customer = CustomerFactory(owner=owner, name="上海精工")
    contact = customer.contacts.create(name="Li Na", email="li.na@example.com")
    portal_person = factories.UserFactory(username="li.na@example.com", email="li.na@example.com", role="portal",
                                          department=None)
    document = factories.document(owner, title="Price list")
    share_content_type = ContentType.objects.get(app_label="sharing", model="documentshare").pk
    latest = _latest()

    try:
        # and the database as it was before the move, with a share, a portal account and its invitation in it
        executor = _migrate(BEFORE_THE_MOVE)
        old = executor.loader.project_state(
            [("documents", "0004_idempotency_fingerprint"), ("accounts", "0003_api_tokens_hashed")], at_end=True
        ).apps
        assert ContentType.objects.filter(pk=share_content_type, app_label="documents").exists()
        now = timezone.now()
        share = old.get_model("documents", "DocumentShare").objects.create(
            document_id=document.pk, customer_id=customer.pk, downloadable=False, note="for the tender",
            created_by_id=owner.pk, created_at=now,
        )
        account = old.get_model("accounts", "PortalAccount").objects.create(
            user_id=portal_person.pk, contact_id=contact.pk, customer_id=customer.pk, invited_by_id=owner.pk,
            invited_at=now,
        )
        invitation = old.get_model("accounts", "PortalInvitation").objects.create(
            account_id=account.pk, token_sha256="ab" * 32, created_by_id=owner.pk, created_at=now,
            expires_at=now + dt.timedelta(days=3),
        )

        # when it migrates forward
        _migrate(latest)
    finally:
        _migrate(latest)  # whatever happened, the next tests find the database as they expect

    # then every row is there, read through the sharing app's models and relations
    moved_share = DocumentShare.objects.get(pk=share.pk)
    assert (moved_share.document_id, moved_share.customer_id, moved_share.note) == (document.pk, customer.pk,
                                                                                    "for the tender")
    assert moved_share.downloadable is False
    assert list(document.shares.all()) == [moved_share]
    moved_account = PortalAccount.objects.get(pk=account.pk)
    assert (moved_account.user_id, moved_account.contact_id, moved_account.customer_id) == (
        portal_person.pk, contact.pk, customer.pk)
    assert portal_person.__class__.objects.get(pk=portal_person.pk).portal_account == moved_account
    assert list(moved_account.invitations.all()) == [PortalInvitation.objects.get(pk=invitation.pk)]
    # and the content type is the same row, now the sharing app's
    assert ContentType.objects.get(pk=share_content_type).app_label == "sharing"
