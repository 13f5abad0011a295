"""Error pages in the site's look, in the reader's language, with the request id a person can quote:
500 (a test-only view that fails), 404, 410 (an expired share in the portal), 400 and the CSRF 403."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.fixtures.clients import client_for, portal_client
from tests.portal.world import build_portal_world

pytestmark = pytest.mark.django_db

ERROR_URLS = "tests.web.error_urls"


def _request_id_on_page(response) -> str:
    found = re.search(r'data-testid="request-id">([0-9a-f]+)<', response.content.decode())
    assert found, "the page shows no request id"
    return found.group(1)


@pytest.mark.urls(ERROR_URLS)
@pytest.mark.parametrize("language, heading", [("en", "Something went wrong"), ("zh-hans", "出现问题")])
def test_a_bug_answers_the_styled_500_page_with_the_request_id(language, heading):
    # given a signed-in rep reading in `language`
    client = client_for(UserFactory(), language)
    client.raise_request_exception = False

    # when a page fails with a bug
    response = client.get("/test-only/broken/")

    # then the 500 page is in the layout, in her language, and names the request's id (the response header's)
    body = response.content.decode()
    assert response.status_code == 500
    assert 'class="topbar"' in body and "web/app.css" in body
    assert f"<h1>{heading}</h1>" in body
    assert f'<html lang="{language}">' in body
    assert _request_id_on_page(response) == response["X-Request-ID"]


@pytest.mark.urls(ERROR_URLS)
def test_a_bug_on_a_portal_path_links_back_to_the_portal():
    client = Client()
    client.raise_request_exception = False
    response = client.get("/portal/test-only/broken/")
    assert response.status_code == 500
    assert 'href="/portal/"' in response.content.decode()
    assert _request_id_on_page(response) == response["X-Request-ID"]


@pytest.mark.urls(ERROR_URLS)
def test_a_bug_under_the_api_answers_json_in_the_api_s_error_shape_with_the_request_id():
    client = Client()
    client.raise_request_exception = False
    response = client.get("/api/test-only/broken/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "server_error" and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("language, heading", [("en", "Not found"), ("zh-hans", "未找到")])
def test_not_found_shows_the_request_id_in_the_reader_s_language(language, heading):
    client = client_for(UserFactory(), language)
    response = client.get("/documents/999999/")
    assert response.status_code == 404
    assert heading in response.content.decode()
    assert _request_id_on_page(response) == response["X-Request-ID"]


def test_an_expired_share_is_a_410_page_with_the_request_id(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world = build_portal_world()
    client = portal_client(world.alice, "zh-hans")
    response = client.get(reverse("portal:share", args=[world.shares["expired"].pk]))
    assert response.status_code == 410
    assert _request_id_on_page(response) == response["X-Request-ID"]


@pytest.mark.parametrize("language, heading", [("en", "The form has expired"), ("zh-hans", "表单已过期")])
def test_a_form_without_its_csrf_token_is_a_translated_403_page(language, heading):
    # given a browser that checks CSRF like a real one, reading in `language`
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = language

    # when a form is posted without its token
    response = client.post("/signin/", {"username": "someone", "password": "x"})

    # then the page says so in the layout, with the request id, and nothing of Django's debug text
    body = response.content.decode()
    assert response.status_code == 403
    assert heading in body and 'class="topbar"' in body
    assert _request_id_on_page(response) == response["X-Request-ID"]


def test_an_unreadable_request_is_a_styled_400_page():
    client = Client()
    # more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django cannot read the request
    response = client.post("/signin/", {f"f{n}": "x" for n in range(1100)})
    assert response.status_code == 400
    assert "The request cannot be read" in response.content.decode()
    assert _request_id_on_page(response) == response["X-Request-ID"]
