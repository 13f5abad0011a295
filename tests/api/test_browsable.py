"""Every API endpoint renders in a browser: the schema is walked and each GET path is opened with
Accept: text/html as a signed-in staff user, with the ids of a real world filled in. DRF's browsable
renderer builds the filter form and the raw-data forms from the view's queryset and serializer, so a
view without them answers 500 there while its JSON works."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.fixtures.clients import api_client
from tests.web.world import build_world

pytestmark = pytest.mark.django_db

# Paths whose answer is a file or a stream, not a page: the browser gets the bytes (or a 406), never a 500.
FILE_LIKE = re.compile(r"(download|preview|pages|export|\.csv|\.json|/file/|/schema/)")


@pytest.fixture
def world(settings, tmp_path, tantivy_index):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    return build_world()


def _ids(world) -> dict[str, object]:
    from backend.sharing.models import DocumentShare

    share = DocumentShare.objects.first()
    share_id = share.pk if share else 1
    contact = world.customer.contacts.first()
    return {
        "document_id": world.quote_doc.pk,
        "number": 1,
        "customer_id": world.customer.pk,
        "contact_id": contact.pk if contact else 1,
        "opportunity_id": world.opportunity.pk,
        "quote_id": world.accepted_quote.pk,
        "order_id": world.order.pk,
        "record_id": world.record.pk,
        "service_record_id": world.record.pk,
        "share_id": share_id,
        "user_id": world.users["rep"].pk,
        "product_id": world.product.pk,
    }


def _fill(path: str, ids: dict[str, object]) -> str:
    def value(match):
        name = match.group(1)
        if name in ids:
            return str(ids[name])
        if name.endswith("_id") or name in ("id", "pk"):
            return "1"
        return "1"
    return re.sub(r"\{([^}]+)\}", value, path)


def test_every_get_endpoint_of_the_schema_renders_as_html_for_a_staff_user(world):
    # given an admin signed in (sees the most endpoints) and the world's ids
    client = api_client(world.users["admin"])
    client.raise_request_exception = False  # a 500 is a response here, so that every path is tried
    schema = yaml.safe_load(client.get("/api/schema/").content)
    ids = _ids(world)
    get_paths = [path for path, operations in schema["paths"].items() if "get" in operations]
    assert len(get_paths) > 20

    # when every GET path is opened in a browser
    failures, pages = [], 0
    for path in get_paths:
        url = _fill(path, ids)
        response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages += 1

    # then none answers 500, and the lists and details are real pages
    assert failures == []
    assert pages > 20


def test_a_crm_list_renders_its_filter_form_in_the_browser(world):
    # given a rep signed in
    client = api_client(world.users["rep"])

    # when she opens the customer list in a browser
    response = client.get("/api/crm/customers/", HTTP_ACCEPT="text/html")

    # then it is DRF's page with the customer in it
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "上海精工机械有限公司" in response.content.decode()
