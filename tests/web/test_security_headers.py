"""Headers of the staff interface, the API and the API docs: a strict Content-Security-Policy on every
response, nothing confidential kept in a cache, HSTS on HTTPS, and previews of uploaded files sandboxed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_strict(response) -> None:
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("style-src")[0]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def _assert_never_stored(response) -> None:
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, response["Cache-Control"]


def _inline_scripts(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I) if not re.search(r"\ssrc=", tag)]


def test_staff_pages_carry_the_strict_policy_and_are_never_stored(world):
    # given a signed-in sales rep
    client = client_for(world.rep)
    for url in ["/", "/search/?q=quote", "/customers/", f"/customers/{world.customer.pk}/", "/pipeline/",
                "/service/", "/reports/", f"/documents/{world.quote_doc.pk}/"]:
        # when a page is shown
        response = client.get(url)
        # then scripts come from our origin only, and no cache keeps the page
        assert response.status_code == 200, url
        _assert_strict(response)
        _assert_never_stored(response)
        # and the page itself holds no inline script, no inline handler, and tells htmx not to eval
        html = response.content.decode()
        assert _inline_scripts(html) == [], url
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), url
        assert '"allowEval":false' in html, url


def test_the_sign_in_page_is_covered_too(db):
    response = Client().get("/signin/")
    _assert_strict(response)
    _assert_never_stored(response)


def test_api_answers_carry_the_policy_and_are_never_stored(world):
    # given a signed-in rep calling the API (session) and anybody calling it unauthenticated
    response = client_for(world.rep).get("/api/documents/")
    anonymous = Client().get("/api/documents/")
    # then both answers are private and never stored
    assert response.status_code == 200 and anonymous.status_code in (401, 403)
    for answer in (response, anonymous):
        _assert_strict(answer)
        _assert_never_stored(answer)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_api_docs_start_without_inline_script_or_a_cdn(world, url):
    # given the API reference pages
    response = client_for(world.rep).get(url)
    html = response.content.decode()
    # then every script is a file of ours (drf-spectacular-sidecar's copies), none is inline
    assert response.status_code == 200
    scripts = re.findall(r"<script\b[^>]*\ssrc=\"([^\"]+)\"", html)
    assert scripts and all(src.startswith("/") for src in scripts), scripts
    assert _inline_scripts(html) == []
    assert "fonts.googleapis.com" not in html and "cdn." not in html
    # and the policy is the strict one, plus the data: images and blob: worker Swagger UI and Redoc use
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]


def test_swagger_start_up_script_is_served_as_a_file(world):
    # given the script the Swagger page loads from its own URL
    response = client_for(world.rep).get("/api/docs/?script=")
    # then it is JavaScript that starts Swagger UI on the schema
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_https_responses_carry_hsts(world):
    # given a request over HTTPS (production settings: a year, subdomains included)
    response = client_for(world.rep).get("/", secure=True)
    # then browsers are told to use HTTPS from now on
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_preview_is_sandboxed_and_never_stored(world):
    # given a PDF version shown in the document page's preview frame
    response = client_for(world.rep).get(f"/documents/{world.quote_doc.pk}/versions/1/preview/")
    b"".join(response.streaming_content)
    # then it opens in a sandbox of its own (no script, a unique origin), framed only by our pages
    assert response.status_code == 200
    policy = _policy(response)
    assert "sandbox" in policy and policy["sandbox"] == []
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    _assert_never_stored(response)
