"""Reads of what indexing holds about a version, for other apps (the portal's text view of a share)."""

from __future__ import annotations

import pytest

from indexing.selectors import version_extracted_text
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
