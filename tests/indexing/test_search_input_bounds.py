"""GET /api/search/ with ids or dates no engine can compare: a 400 naming the parameter, never a 500."""

from __future__ import annotations

import pytest

from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def rep(committed):
    rep = factories.UserFactory(username="rep")
    with committed():
        factories.document(rep, title="供货合同 ACME")
    return rep


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"customer": "99999999999999999999"}, "customer"),
        ({"opportunity": "1,99999999999999999999"}, "opportunity"),
        ({"uploader": "9223372036854775808"}, "uploader"),
        ({"document": "99999999999999999999"}, "document"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"page": "99999999999999999999"}, "page"),
    ],
)
def test_ids_and_dates_out_of_range_are_400_naming_the_parameter(rep, params, field):
    # when the search is asked with an id or a date beyond what the engines compare
    response = client_for(rep).get("/api/search/", {"q": "合同", **params})

    # then it is refused as bad input, naming the parameter
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]


def test_the_largest_id_is_still_a_valid_filter(rep):
    response = client_for(rep).get("/api/search/", {"q": "合同", "customer": str(2**63 - 1)})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0
