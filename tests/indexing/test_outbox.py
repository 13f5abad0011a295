"""The outbox: a dead search engine or store never blocks an upload, and the backlog drains when it is back."""

from __future__ import annotations

import pytest
from django.utils import timezone

from indexing import extraction, outbox
from indexing.models import IndexStatus, SearchOutbox
from storage.errors import StoreUnavailable
from tests import factories
from tests.indexing.helpers import break_engine, engine_hits, state_of

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def test_uploads_succeed_while_the_engine_is_down_and_the_backlog_drains_after_the_next_write(
    people, committed, search_index, settings, tmp_path
):
    owner, _, _ = people
    good = break_engine(settings, tmp_path)
    with committed():
        first = factories.document(owner, title="During outage", content=b"outage words")

    assert SearchOutbox.objects.filter(document_id=first.pk, blocked_on="engine").exists()
    state = state_of(first)
    assert state.status == IndexStatus.PENDING and state.extracted_at is not None  # text kept for later

    settings.SEARCH_URL = good
    outbox._breaker["open_until"] = 0.0
    with committed():
        second = factories.document(owner, title="After outage", content=b"recovery words")

    assert engine_hits(search_index, owner, "words") == {first.pk, second.pk}
    assert not SearchOutbox.objects.exists()
    assert state_of(first).status == IndexStatus.INDEXED


def test_the_periodic_drain_writes_the_backlog_by_itself(people, committed, search_index, settings, tmp_path):
    from indexing import tasks

    owner, _, _ = people
    good = break_engine(settings, tmp_path)
    with committed():
        doc = factories.document(owner, content=b"queued words")
    backoff_until = SearchOutbox.objects.get(document_id=doc.pk).available_at

    # while the engine is still down the periodic drain leaves the row to its back-off
    assert tasks.drain_outbox()["documents"] == 0
    assert SearchOutbox.objects.get(document_id=doc.pk).available_at == backoff_until

    # once it answers again, the next periodic drain writes the backlog without waiting for the back-off
    settings.SEARCH_URL = good
    assert backoff_until > timezone.now()
    assert tasks.drain_outbox() == {"documents": 1, "versions": 1, "error": ""}
    assert engine_hits(search_index, owner, "queued") == {doc.pk}
    assert not SearchOutbox.objects.exists()


def test_an_unreadable_store_is_retried_then_the_version_fails(people, committed, search_index, monkeypatch, settings):
    owner, _, _ = people
    settings.SEARCH_EXTRACT_MAX_ATTEMPTS = 2

    def store_down(version):
        raise StoreUnavailable("down")

    monkeypatch.setattr(extraction, "_read_content", store_down)
    with committed():
        doc = factories.document(owner, title="Unreadable for now", content=b"later")

    row = SearchOutbox.objects.get(document_id=doc.pk)
    assert row.blocked_on == "store"
    assert state_of(doc).status == IndexStatus.PENDING and state_of(doc).attempts == 1
    assert engine_hits(search_index, owner, "unreadable") == {doc.pk}  # metadata is in already

    SearchOutbox.objects.update(available_at=timezone.now())
    outbox.outbox_drain()

    assert state_of(doc).status == IndexStatus.FAILED
    assert "unavailable 2 times" in state_of(doc).reason
    assert not SearchOutbox.objects.exists()
