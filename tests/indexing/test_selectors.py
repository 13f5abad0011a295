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



def test_search_counts_are_the_engines_totals_for_what_each_caller_may_see(people, committed):
    from indexing.backends import SearchFilters
    from indexing.selectors import search_counts, search_documents

    owner, colleague, outsider = people
    # given two internal contracts and a confidential one of the sales department's owner
    with committed():
        factories.document(owner, title="Supply contract A", content=b"delivery terms")
        factories.document(owner, title="Supply contract B", content=b"delivery terms")
        factories.document(owner, title="Secret contract", classification="confidential", content=b"delivery terms")

    # when each person asks for the counts under no filter and under a kind that matches nothing
    filter_sets = [SearchFilters(), SearchFilters(kinds=("quote",))]
    counts = {who.username: search_counts(user=who, q="contract", filter_sets=filter_sets)
              for who in (owner, colleague, outsider)}

    # then each count is what that person's own search finds, never what they may not see
    for who in (owner, colleague, outsider):
        assert counts[who.username][0] == search_documents(user=who, q="contract").total
    assert counts == {"owner": [3, 0], "colleague": [2, 0], "outsider": [0, 0]}
