"""Bad input to the document API is a 4xx in the one error shape, never a 500, and saves nothing:
idempotency keys replayed with another body, names with invisible characters, oversized fields, wrong
JSON types, huge ids and calendar-edge dates in filters, deep JSON, too many form fields, CSRF."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.documents.models import Document, DocumentVersion
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def rep():
    return factories.UserFactory(username="rep")


def _create(client, *, title="Bid", content=None, filename="bid.pdf", key=None, **fields):
    data = {"title": title, "kind": "bid", "file": SimpleUploadedFile(filename, content or factories.pdf_bytes("bid")),
            **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/documents/", data, format="multipart", **headers)


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and body["detail"]
    return body


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_create_key_replayed_with_another_file_is_422_naming_the_key(rep):
    client = client_for(rep)
    first = _create(client, key="create-1")

    # when the same key comes with different content, then with a different title
    other_file = _create(client, key="create-1", content=factories.pdf_bytes("another"))
    other_title = _create(client, key="create-1", title="Another bid")

    # then both are refused, naming the key, and nothing more was saved
    assert first.status_code == 201
    for response in (other_file, other_title):
        body = _assert_error(response, 422, "idempotency_key_reused")
        assert body["key"] == "create-1"
    assert Document.objects.count() == 1 and DocumentVersion.objects.count() == 1


def test_a_create_key_replayed_with_the_same_body_still_returns_the_first_document(rep):
    client = client_for(rep)
    first = _create(client, key="create-2", tags="a,b")
    again = _create(client, key="create-2", tags="a,b")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_a_version_key_replayed_with_another_file_is_422(rep):
    document = factories.document(rep)
    client = client_for(rep)
    url = f"/api/documents/{document.pk}/versions/"
    first = client.post(url, {"file": SimpleUploadedFile("v2.pdf", factories.pdf_bytes("v2"))},
                        format="multipart", HTTP_IDEMPOTENCY_KEY="v-1")
    same = client.post(url, {"file": SimpleUploadedFile("v2.pdf", factories.pdf_bytes("v2"))},
                       format="multipart", HTTP_IDEMPOTENCY_KEY="v-1")

    # when the key is reused for different bytes
    other = client.post(url, {"file": SimpleUploadedFile("v2.pdf", factories.pdf_bytes("v3"))},
                        format="multipart", HTTP_IDEMPOTENCY_KEY="v-1")

    # then the retry got the first version and the different upload is refused
    assert (first.status_code, same.status_code) == (201, 200)
    assert _assert_error(other, 422, "idempotency_key_reused")["key"] == "v-1"
    assert document.versions.count() == 2


# --- names, sizes, types ---------------------------------------------------------------------


def test_invisible_and_bidi_characters_leave_titles_and_file_names_and_the_audit_keeps_the_original(rep):
    # given a title with a zero-width space and a line break, and a file name with a right-to-left override
    # (sent as a raw-body upload: Django's multipart parser already drops unprintable characters)
    title = "Bid\u200b for\r\n \u202eWuxi"
    filename = "invoice\u202efdp.exe.pdf"

    # when the document is created
    response = client_for(rep).post(
        f"/api/documents/?{urlencode({'title': title, 'kind': 'bid'})}", factories.pdf_bytes("bidi"),
        content_type="application/pdf", HTTP_CONTENT_DISPOSITION=f"attachment; filename*=UTF-8''{quote(filename)}",
    )

    # then what is stored and shown is clean
    assert response.status_code == 201, response.content
    document = Document.objects.get()
    assert document.title == "Bid for Wuxi"
    assert document.valid_version.original_filename == "invoicefdp.exe.pdf"
    assert document.valid_version.filename == "invoicefdp.exe.pdf"
    # and the audit trail records what was sent
    created = AuditEvent.objects.get(event_type="document.created")
    assert created.detail["submitted_title"] == title
    assert created.detail["submitted_filename"] == filename
    uploaded = AuditEvent.objects.get(event_type="document.version.uploaded")
    assert uploaded.detail["submitted_filename"] == filename


def test_a_clean_title_and_name_add_nothing_to_the_audit(rep):
    assert _create(client_for(rep), title="Bid", filename="bid.pdf").status_code == 201
    created = AuditEvent.objects.get(event_type="document.created")
    assert "submitted_title" not in created.detail and "submitted_filename" not in created.detail


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "x" * 20_001}, "description"),
        ({"tags": ",".join(f"t{i}" for i in range(51))}, "tags"),
        ({"tags": "a" * 65}, "tags"),
        ({"comment": "c" * 5_001}, "comment"),
    ],
)
def test_oversized_fields_are_400_naming_the_field_and_nothing_is_saved(rep, fields, field):
    response = _create(client_for(rep), **fields)
    body = _assert_error(response, 400, "invalid")
    assert field in json.dumps(body["fields"])
    assert Document.objects.count() == 0


@pytest.mark.parametrize("tags", [{"a": "b"}, {"0": "x"}, 7, [["a"]], [["a", "b"]], [{"x": 1}], True])
def test_tags_of_the_wrong_json_type_are_400_on_tags(rep, tags):
    document = factories.document(rep)
    response = client_for(rep).patch(f"/api/documents/{document.pk}/", {"tags": tags}, format="json")
    body = _assert_error(response, 400, "invalid")
    assert "tags" in body["fields"]


def test_a_title_made_only_of_invisible_characters_is_400(rep):
    document = factories.document(rep)
    response = client_for(rep).patch(f"/api/documents/{document.pk}/", {"title": "\u200b\u202e\u2066"}, format="json")
    assert _assert_error(response, 400, "invalid")["fields"]["title"]


# --- filters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("owner=99999999999999999999", "owner"),
        ("checked_out_by=-99999999999999999999", "checked_out_by"),
        ("owner=1.5", "owner"),
        ("created_after=0001-01-01", "created_after"),
        ("created_before=9999-12-31", "created_before"),
        ("created_after=9999-12-31T23:59:59-10:00", "created_after"),
        ("q=a%00b", "q"),
        ("tag=%00", "tag"),
    ],
)
def test_filters_out_of_range_are_400_naming_the_parameter(rep, query, field):
    factories.document(rep)
    response = client_for(rep).get(f"/api/documents/?{query}")
    assert field in _assert_error(response, 400, "invalid")["fields"]


def test_a_date_time_with_an_offset_postgresql_does_not_take_is_read_in_utc(rep):
    # given an offset Python accepts (up to ±23:59) but PostgreSQL does not (±15:59)
    factories.document(rep)
    response = client_for(rep).get("/api/documents/?created_after=2020-04-29T15:10:05-17:51")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


def test_filters_in_range_still_filter(rep):
    document = factories.document(rep)
    response = client_for(rep).get(f"/api/documents/?owner={rep.pk}&created_after=2000-01-01")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [document.pk]


# --- request bodies Django or the JSON parser refuse ----------------------------------------------


def test_a_deeply_nested_json_body_is_400(rep):
    document = factories.document(rep)
    body = "[" * 100_000 + "]" * 100_000
    response = client_for(rep).patch(f"/api/documents/{document.pk}/", body, content_type="application/json")
    _assert_error(response, 400, "parse_error")


def test_too_many_form_fields_is_400_json(rep, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    document = factories.document(rep)
    body = "&".join(f"f{i}=x" for i in range(50))
    response = client_for(rep).patch(f"/api/documents/{document.pk}/", body,
                                     content_type="application/x-www-form-urlencoded")
    _assert_error(response, 400, "too_many_fields")


def test_a_session_post_without_csrf_token_is_403_csrf_failed(rep):
    # given a browser session (not a token) and CSRF checks on, as in a real browser
    document = factories.document(rep)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(rep)

    # when it posts without the CSRF token
    response = client.post(f"/api/documents/{document.pk}/checkout/")

    # then the refusal is a 403 that says so, and nothing changed
    _assert_error(response, 403, "csrf_failed")
    document.refresh_from_db()
    assert document.checked_out_by_id is None


def test_an_unsatisfiable_range_is_416_in_the_error_shape(rep):
    document = factories.document(rep)
    response = client_for(rep).get(f"/api/documents/{document.pk}/download/", HTTP_RANGE="bytes=999999-")
    body = _assert_error(response, 416, "range_not_satisfiable")
    assert response["Content-Range"] == f"bytes */{body['size']}"


def test_an_api_url_that_matches_no_endpoint_is_404_json(rep):
    _assert_error(client_for(rep).get("/api/documents/not-a-number/"), 404, "not_found")
