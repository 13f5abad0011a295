"""Reads of what indexing holds about a version, for other apps (the portal's text view of a share)."""

from __future__ import annotations

import pytest

from indexing.models import IndexStatus, SearchOutbox, VersionIndexState
from indexing.selectors import extraction_failure_count, outbox_backlog, version_extracted_text
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def test_the_extracted_text_of_a_version_or_nothing(people, committed):
    owner, _, _ = people
    # given a text file that was extracted, an image that has no text, and a version not indexed yet
    with committed():
        quote = factories.document(owner, content="报价单 net 60".encode("gbk"), filename="quote.txt")
        photo = factories.document(owner, content=PNG, filename="photo.png")
    waiting = factories.document(owner, content=b"not yet", filename="later.txt")

    # when other apps read the text through the selector
    texts = [version_extracted_text(version_id=doc.valid_version_id) for doc in (quote, photo, waiting)]

    # then they get the text, or "" when there is none (yet)
    assert texts == ["报价单 net 60", "", ""]


def test_the_outbox_backlog_and_the_extraction_failures(people):
    owner, _, _ = people
    # given two documents waiting in the outbox (their on-commit work never ran) and one failed extraction
    first = factories.document(owner, content=b"one", filename="one.txt")
    factories.document(owner, content=b"two", filename="two.txt")
    VersionIndexState.objects.create(version_id=first.valid_version_id, status=IndexStatus.FAILED, reason="broken")

    # when operations read the pipeline's state
    backlog, failures = outbox_backlog(), extraction_failure_count()

    # then they see every waiting row since the oldest, and the failure
    assert backlog.rows == SearchOutbox.objects.count() == 2
    assert backlog.oldest == SearchOutbox.objects.order_by("created_at").first().created_at
    assert failures == 1

