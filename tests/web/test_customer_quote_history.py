"""The customer page's quote history rows (made by the dossier_crm tag, one call per line): each line's date,
quote link, rep, figures and status, and its quote document as the reader may have it."""

from __future__ import annotations

import re

import pytest

from backend.crm.services import quotes as quote_services
from backend.documents.services import document_create
from tests.fixtures.clients import client_for
from tests.web.world import pdf_with_text, upload

pytestmark = pytest.mark.django_db


def _row(page: str, number: str) -> str:
    return re.search(r'<tr[^>]*>(?:(?!</tr>).)*data-testid="quote-link-%s"(?:(?!</tr>).)*</tr>' % number, page,
                     re.S).group(0)


def test_each_line_links_its_quote_and_offers_its_document_only_to_who_may_download_it(world):
    # given the rep's accepted quote with its approved document, and the team's open quote with a secret
    # quote document of the administrator's attached
    secret, _ = document_create(actor=world.users["admin"], title="底价 Floor prices", kind="quote",
                                classification="secret", upload=upload(pdf_with_text("底价"), "floor.pdf"))
    quote_services.quote_attach_document(actor=world.users["admin"], quote=world.open_quote, document=secret)

    # when the rep opens the customer
    page = client_for(world.rep).get(f"/customers/{world.customer.pk}/").content.decode()

    # then the accepted line is marked current, links its quote and offers the document's valid version
    accepted = _row(page, "Q-2026-0001")
    assert accepted.startswith('<tr class="current">')
    assert f'href="/quotes/{world.accepted_quote.pk}/"' in accepted and "王芳" in accepted
    assert f'href="/documents/{world.quote_doc.pk}/download/" data-testid="quote-doc-Q-2026-0001"' in accepted
    assert "(v1)" in accepted and "¥120,000.00" in accepted and "1.5%" in accepted
    # and the open line names its rep and says the document is not shared, without a link to it
    open_line = _row(page, "Q-2026-0002")
    assert not open_line.startswith('<tr class="current">')
    assert "not shared with you" in open_line and f"/documents/{secret.pk}/" not in open_line


def test_a_line_without_a_document_shows_a_dash(world):
    # when the rep opens the customer (the team's open quote has no document)
    page = client_for(world.rep).get(f"/customers/{world.customer.pk}/").content.decode()

    # then its document cell is a dash
    assert '<span class="muted small">—</span>' in _row(page, "Q-2026-0002")
