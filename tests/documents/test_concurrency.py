"""Many people uploading to one document at once: numbers unique and gapless, nothing lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from backend.audit.selectors import audit_chain_verify
from backend.documents import services
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.s3]


def test_twenty_concurrent_uploads_get_unique_gapless_numbers():
    # given a document and twenty colleagues with change access
    if connection.vendor != "postgresql":
        pytest.fail("this test is about row locking and must run on PostgreSQL")
    owner = factories.UserFactory(username="owner")
    document = factories.document(owner)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def upload(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.document_version_create(
                actor=owner,
                document=document,
                upload=factories.upload_source(factories.pdf_bytes(f"concurrent-{index}")),
                comment=f"upload {index}",
            )
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # when all twenty upload at the same moment
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every upload made a version, numbered 1..21 without gaps or repeats, and the audit chain holds
    assert errors == []
    numbers = sorted(document.versions.values_list("number", flat=True))
    assert numbers == list(range(1, 22))
    comments = set(document.versions.exclude(number=1).values_list("comment", flat=True))
    assert comments == {f"upload {i}" for i in range(20)}
    document.refresh_from_db()
    assert document.version_count == 21
    assert audit_chain_verify().ok
