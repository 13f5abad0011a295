"""A refusal that no form showed (a page's service says gone, conflict, or the store is down) is a page
in the reader's language with the refusal's own status, on the staff side and in the portal, never a 500."""

import pytest

from tests.crm.factories import CustomerFactory
from tests.factories import UserFactory
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

URLS = "tests.ui.refusal_urls"


@pytest.mark.django_db
@pytest.mark.urls(URLS)
@pytest.mark.parametrize(("kind", "status", "heading"), [
    ("gone", 410, "No longer available"), ("conflict", 409, "This cannot be done now"),
    ("store", 503, "A service is unavailable")])
def test_a_staff_page_shows_what_its_service_refused_with_the_status(kind, status, heading):
    # given a signed-in member of staff
    client = client_for(UserFactory(), "en")
    # when the page's service refuses
    response = client.get(f"/test-only/refuses/{kind}/")
    # then the page says so, with the refusal's status and the request id, and links home
    assert response.status_code == status
    page = response.content.decode()
    assert heading in page and 'data-testid="refusal"' in page and 'data-testid="request-id"' in page
    assert 'href="/"' in page


@pytest.mark.django_db
@pytest.mark.urls(URLS)
def test_the_refusal_page_reads_in_chinese():
    client = client_for(UserFactory(), "zh-hans")
    response = client.get("/test-only/refuses/gone/")
    assert response.status_code == 410
    assert "No longer available" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(URLS)
def test_a_portal_page_shows_what_its_service_refused_and_links_back_to_the_portal():
    client = client_for(portal_user(CustomerFactory()), "en")
    response = client.get("/portal/test-only/refuses/store/")
    assert response.status_code == 503
    page = response.content.decode()
    assert 'data-testid="refusal"' in page and 'href="/portal/"' in page


@pytest.mark.django_db
@pytest.mark.urls(URLS)
def test_anonymous_visitors_are_still_sent_to_sign_in():
    from django.test import Client

    assert Client().get("/test-only/refuses/gone/").status_code == 302
