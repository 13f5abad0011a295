"""The API against its own OpenAPI schema: schemathesis generates requests (valid ones and invalid ones)
for every operation in /api/schema/ and checks that none answers 5xx and that every status code,
content type and body is one the schema documents.

Bounded for the suite: a few examples per operation and mode, derandomized (the same examples on
every run), no deadline, no shrinking. It runs in-process against the WSGI app (no live server),
with a staff token got from /api/auth/token/, over a little seeded data; every GET whose path names
ids is also sent once with the ids of real rows, so their bodies are checked against the schema too.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.accounts.models import Role
from tests import factories

PASSWORD = "pw-for-tests"  # tests.factories.UserFactory's
# More for a deeper search on a developer's machine: DOSSIER_FUZZ_EXAMPLES=200 ./dossier test tests/api/test_schemathesis.py
EXAMPLES = int(os.environ.get("DOSSIER_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.slow


@pytest.fixture
def api_schema(db, settings, tmp_path):
    """(schema as the app serves it, auth headers, ids of seeded rows by path-parameter name)."""
    from django.test import Client

    from backend.wsgi import application

    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search'}"
    admin = factories.UserFactory(username="fuzz.admin", role=Role.ADMIN)
    ids = _seed(admin)
    signed_in = Client().post("/api/auth/token/", {"username": admin.username, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.content
    # Like Django's test client: the app must not close the test's database connection after each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
        yield schema, {"Authorization": f"Token {signed_in.json()['token']}"}, ids
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _seed(admin) -> dict[str, int]:
    from decimal import Decimal

    from backend.crm.models import Contact
    from tests.crm.factories import CustomerFactory, OpportunityFactory, ProductFactory

    customer = CustomerFactory(owner=admin, name="上海华东精密机械有限公司")
    documents = [factories.document(admin, title=f"Seeded {index}", tags=("seed",)) for index in range(2)]
    contact = Contact.objects.create(customer=customer, name="刘经理", email="liu@example.cn")
    opportunity = OpportunityFactory(customer=customer, amount=Decimal("1000.00"))
    product = ProductFactory()
    return {"document_id": documents[0].pk, "number": 1, "customer_id": customer.pk, "contact_id": contact.pk,
            "opportunity_id": opportunity.pk, "product_id": product.pk}


def _describe(exc: BaseException) -> str:
    """The failure schemathesis found, with the response and the curl line that reproduces it."""
    parts = [str(exc)]
    for inner in getattr(exc, "exceptions", ()):
        parts.append(f"  - {type(inner).__name__}: {inner}")
    return "\n".join(parts)[:3000]


def test_no_server_error_and_every_response_is_documented(api_schema):
    # given the schema the app serves, a staff token and a little data
    schema, auth, ids = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []

    # when every GET naming ids is sent once with real rows (first: the fuzzing below may delete them)
    for operation in operations:
        names = [parameter.name for parameter in operation.path_parameters]
        if operation.method.upper() == "GET" and names and all(name in ids for name in names):
            case = operation.Case(path_parameters={name: ids[name] for name in names})
            try:
                response = case.call(headers=auth)
                assert response.status_code < 400, (operation.label, response.status_code, response.text[:500])
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # collected, reported together below
                failures.append(f"{operation.label} [real rows]: {_describe(exc)}")

    # and schemathesis sends generated requests, valid and invalid, to every operation
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.validate_response(case.call(headers=auth), checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label  # nothing to get wrong: no parameters
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {_describe(exc)}")

    # then none answered 5xx or anything the schema does not document
    assert not failures, "\n\n".join(failures)
