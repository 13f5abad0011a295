"""Fixtures for the mail intake's tests: a real IMAP server (dovecot) and a throw-away document store."""

from __future__ import annotations

import pytest

from tests.fixtures.documents import local_disk_documents  # noqa: F401 - autouse in this folder
from tests.fixtures.imap import imap_server, imaps_server  # noqa: F401 - fixtures of this folder


@pytest.fixture
def mailbox(imap_server, settings):
    """The intake reads `imap_server`'s INBOX; returns the server."""
    settings.MAIL_INTAKE_URL = imap_server.url()
    settings.MAIL_INTAKE_DONE_FOLDER = ""
    return imap_server
