"""What the busiest staff pages ask the database and compute per request (bench/pages.py measures them):
a right asked once per page, not once per panel; the same HTML from cheaper row rendering."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.access.services import document_permission_grant
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _asked(queries, codenames: str) -> int:
    """How many of the queries ask for exactly these rights (as the policy's can() phrases the question)."""
    return sum(1 for query in queries if f"IN ({codenames})" in query["sql"])


def test_the_document_page_asks_whether_the_reader_may_change_it_once(world):
    # given 陈静 may change 王芳's contract through a grant (the policy asks the database, not the owner rule)
    document_permission_grant(actor=world.rep, document=world.contract, level="change", user=world.colleague)
    client = client_for(world.colleague)
    client.get(f"/documents/{world.contract.pk}/")

    # when she opens it
    with CaptureQueriesContext(connection) as captured:
        page = client.get(f"/documents/{world.contract.pk}/").content.decode()

    # then the retention panel is shown (she may change it) without putting the question to the database again
    assert 'data-testid="retention-panel"' in page
    asked = _asked(captured.captured_queries, "'change_document', 'manage_document'")
    assert asked == 1, [query["sql"] for query in captured.captured_queries]


def test_the_retention_panel_stays_hidden_from_a_reader_who_may_not_change(world):
    # given 陈静 may only download the contract
    document_permission_grant(actor=world.rep, document=world.contract, level="download", user=world.colleague)

    # when she opens it, then there is no retention panel
    page = client_for(world.colleague).get(f"/documents/{world.contract.pk}/").content.decode()
    assert 'data-testid="retention-panel"' not in page


def test_amounts_keep_each_languages_marks_when_the_separators_are_remembered():
    # given amounts formatted in one language, then in others, then in the first again (the separators are
    # remembered per language: a page formats hundreds of amounts)
    from decimal import Decimal

    from django.utils import translation

    from backend.web.templatetags.dossier_ui import money, number

    amount = Decimal("1234567.5")
    with translation.override("en"):
        english = money(amount, "CNY")
    with translation.override("de"):
        german = money(amount, "EUR")
    with translation.override("zh-hans"):
        chinese = money(amount, "CNY"), number(Decimal("12.5"), 1)
    with translation.override("en"):
        again = money(-amount, "USD"), number(None)

    # then each reads with its own language's marks, Chinese grouped by three with commas
    assert english == "¥1,234,567.50"
    assert german == "€1.234.567,50"
    assert chinese == ("¥1,234,567.50", "12.5")
    assert again == ("-$1,234,567.50", "—")
