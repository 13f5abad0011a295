"""The Celery tasks run in-process without a broker and report what they did."""

from __future__ import annotations

import pytest

from indexing import tasks
from indexing.models import SearchOutbox
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def test_sync_documents_writes_queued_documents(django_capture_on_commit_callbacks, search_index):
    owner = factories.UserFactory()
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet run
        doc = factories.document(owner, content=b"task words")
    SearchOutbox.objects.create(document_id=doc.pk, reason="test")

    result = tasks.sync_documents.delay([doc.pk]).get()

    assert result == {"documents": 1, "versions": 1, "error": ""}
    assert not SearchOutbox.objects.exists()
    assert search_index.document_ids() == {doc.pk}


def test_the_periodic_tasks_are_scheduled(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"indexing.drain_outbox", "indexing.enqueue_expired"} <= scheduled
    assert tasks.enqueue_expired.delay().get() == 0
