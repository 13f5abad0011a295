"""The Celery tasks run in-process without a broker and report what they did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.documents import services as documents
from backend.documents.models import DocumentVersion
from indexing import tasks
from indexing.models import SearchOutbox
from tests import factories
from tests.indexing.helpers import engine_hits

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


def test_an_approved_version_past_its_date_reads_expired(people, committed, search_index, monkeypatch):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=b"old terms")
    with committed():
        documents.document_version_approve(actor=owner, version=DocumentVersion.objects.get(document=doc),
                                           valid_until=timezone.localdate() + dt.timedelta(days=1))
    assert engine_hits(search_index, owner, "old", statuses=("approved",)) == {doc.pk}

    # two days later the periodic job re-indexes it
    later = timezone.localdate() + dt.timedelta(days=2)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    with committed():
        assert tasks.enqueue_expired() == 1

    assert engine_hits(search_index, owner, "old", statuses=("expired",)) == {doc.pk}
