"""The home page's recent documents show the small first page of their valid version beside the title,
as search results and a customer's documents do, without costing a query per row."""

from __future__ import annotations

import pytest

from backend.documents.services import document_create
from tests.fixtures.clients import client_for
from tests.web.world import upload

pytestmark = pytest.mark.django_db


def test_recent_documents_show_a_thumbnail_of_their_valid_version(world):
    # when 王芳 opens her home page
    response = client_for(world.rep).get("/")

    # then each of her recent documents has its thumbnail, pointing at the version that is valid
    html = response.content.decode()
    recent = list(response.context["recent"])
    assert {world.quote_doc.pk, world.contract.pk} <= {doc.pk for doc in recent}
    for doc in recent:
        src = f'src="/documents/{doc.pk}/versions/{doc.valid_version.number}/thumbnail.png"'
        assert src in html
    assert html.count('data-testid="recent-document"') == len(recent)


def test_the_thumbnail_on_home_answers_a_picture_to_its_reader_and_404_to_others(world):
    contract = world.contract
    path = f"/documents/{contract.pk}/versions/{contract.valid_version.number}/thumbnail.png"

    own = client_for(world.rep).get(path)
    assert own.status_code == 200 and own["Content-Type"] == "image/png"
    assert client_for(world.outsider).get(path).status_code == 404


def test_a_file_that_cannot_be_drawn_shows_its_type_instead(world):
    # given a document whose file has no preview (an e-mail)
    mail = b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nbody\n"
    document, _ = document_create(actor=world.rep, title="邮件 mail", kind="other", classification="internal",
                                  upload=upload(mail, "hello.eml"))

    html = client_for(world.rep).get("/").content.decode()

    row = html[html.index("邮件 mail") - 600:html.index("邮件 mail")]
    assert "thumb-none" in row and f"/documents/{document.pk}/versions/1/thumbnail.png" not in row
