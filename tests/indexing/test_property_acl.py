"""Property: whatever grants, revocations, classification changes and department moves happen, search
never returns a document the caller cannot view, finds one by a word of its text only when the caller
may read it, and (with the index in step) the engine's own trimming already agrees with the database, so
the re-check removes nothing."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.access.policy import Action, visible
from backend.access.services import document_permission_grant, document_permission_revoke
from backend.accounts.models import Role
from backend.accounts.services import user_move_department
from backend.documents import services as documents
from backend.documents.models import Document
from indexing import selectors
from indexing.sync import documents_sync
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.s3]

CLASSIFICATIONS = ["public", "internal", "confidential", "secret"]
_examples = itertools.count()


@pytest.fixture
def world(committed):
    departments = [factories.DepartmentFactory(code=f"d{i}") for i in range(3)]
    roles = [Role.SALES, Role.SALES, Role.SERVICE, Role.COMPLIANCE, Role.ADMIN]
    users = [
        factories.UserFactory(username=f"u{i}", department=departments[i % 3], role=role)
        for i, role in enumerate(roles)
    ]
    docs = []
    with committed():
        for i in range(8):
            owner = users[i % 3]
            docs.append(factories.document(
                owner, title=f"doc{i}", classification=CLASSIFICATIONS[i % 4],
                content=f"common word{i} 合同{i}".encode(), filename=f"d{i}.txt",
            ))
    return departments, users, docs


steps = st.lists(
    st.one_of(
        st.tuples(st.just("grant"), st.integers(0, 7), st.integers(0, 7),
                  st.sampled_from(["view", "read", "download", "change", "manage"])),
        st.tuples(st.just("revoke"), st.integers(0, 7), st.integers(0, 7)),
        st.tuples(st.just("move"), st.integers(0, 4), st.integers(0, 3)),
        st.tuples(st.just("classify"), st.integers(0, 7), st.sampled_from(CLASSIFICATIONS)),
    ),
    max_size=8,
)


def _principal(departments, users, index):
    """0-4: a user; 5-7: a department's group."""
    return {"user": users[index]} if index < 5 else {"group": departments[index - 5].group}


@pytest.fixture(params=["tantivy", "opensearch"])
def fresh_index(request, tmp_path):
    """Call it for the SEARCH_URL of a new, empty index on the backend under test. An OpenSearch index
    lives until the next example asks for one (hundreds of examples' indices would fill the node's heap)."""
    from indexing.engine import search_backend

    made: list = []

    def drop_previous() -> None:
        while made:
            engine = made.pop()
            engine.drop()
            engine.close()

    def make() -> str:
        number = next(_examples)
        if request.param == "tantivy":
            return f"tantivy://{tmp_path / f'example-{number}'}"
        drop_previous()
        url = request.getfixturevalue("opensearch_node").search_url(f"acl-property-{number}")
        settings_fixture = request.getfixturevalue("settings")
        settings_fixture.SEARCH_URL = url
        made.append(search_backend())
        return url

    yield make
    drop_previous()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps, query_doc=st.integers(0, 7))
def test_search_never_shows_what_the_caller_cannot_view(world, committed, settings_fixture, fresh_index, script,
                                                       query_doc):
    departments, users, docs = world
    # a fresh index per example (on the backend under test), filled from the database
    settings_fixture.SEARCH_URL = fresh_index()
    for user in users:  # the previous example's changes were rolled back in the database only
        user.refresh_from_db()
    with transaction.atomic():
        documents_sync([d.pk for d in docs])
        for step in script:
            with committed():
                if step[0] == "grant":
                    _, d, p, level = step
                    document = Document.objects.get(pk=docs[d].pk)
                    document_permission_grant(actor=document.owner, document=document, level=level,
                                              **_principal(departments, users, p))
                elif step[0] == "revoke":
                    _, d, p = step
                    document = Document.objects.get(pk=docs[d].pk)
                    document_permission_revoke(actor=document.owner, document=document,
                                               **_principal(departments, users, p))
                elif step[0] == "move":
                    _, u, dep = step
                    user_move_department(actor=None, user=users[u], department=departments[dep] if dep < 3 else None)
                else:
                    _, d, classification = step
                    document = Document.objects.get(pk=docs[d].pk)
                    documents.document_update(actor=document.owner, document=document, classification=classification)

        for user in users:
            user.refresh_from_db()
            may_view = set(visible(user, Document.objects.all(), Action.VIEW).values_list("pk", flat=True))
            may_read = set(visible(user, Document.objects.all(), Action.READ).values_list("pk", flat=True))
            # words of the text find what the caller may read; a word of the title, what they may view
            for q, matching, allowed in (("common", {d.pk for d in docs}, may_read),
                                         (f"word{query_doc}", {docs[query_doc].pk}, may_read),
                                         (f"合同{query_doc}", {docs[query_doc].pk}, may_read),
                                         (f"doc{query_doc}", {docs[query_doc].pk}, may_view)):
                page = selectors.search_documents(user=user, q=q, page_size=50)
                found = {row.version.document_id for row in page.results}
                assert found <= may_view, (user.username, q, found - may_view)
                assert found == matching & allowed, (user.username, q)
                assert page.trimmed == 0  # the engine's own trimming was already exact
        transaction.set_rollback(True)


@pytest.fixture
def settings_fixture(settings):
    return settings
