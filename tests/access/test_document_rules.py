"""Each document rule is stated once (policy.documents.DOCUMENT_RULES) and its forms agree, rule by rule:
the Python form (can()), the SQL form (visible()), the search-index tokens and the explanation of
"who can access this document"."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from backend.access.policy import (
    DOCUMENT_RULES,
    Action,
    NOTHING,
    can,
    document_access_explanation,
    document_visibility_q,
    search_principals_for_documents,
    user_principals,
    view_principals_for_documents,
    visible,
)
from backend.access.policy.documents import document_rules_explanation
from backend.access.services import document_permission_grant
from backend.accounts.models import Role
from backend.crm.services.customers import customer_create, customer_team_add
from backend.crm.services.links import document_link_create
from backend.documents.models import Document
from tests import factories

pytestmark = pytest.mark.django_db

CLASSIFICATIONS = ("public", "internal", "confidential", "secret")


@pytest.fixture
def world(staff):
    legal = staff["outsider"].department
    people = {
        **staff,
        "homeless": factories.UserFactory(username="homeless", department=None),
        "engineer": factories.UserFactory(username="engineer", role=Role.SERVICE, department=legal),
        "account_owner": factories.UserFactory(username="account-owner", department=legal),
        "account_team": factories.UserFactory(username="account-team", department=None),
    }
    owner = people["owner"]
    docs = {c: factories.document(owner, title=f"{c} doc", classification=c) for c in CLASSIFICATIONS}
    docs.update({f"linked {c}": factories.document(owner, title=f"linked {c}", classification=c)
                 for c in CLASSIFICATIONS})
    docs["no department"] = factories.document(people["homeless"], title="no department", classification="internal")
    reviewers = Group.objects.create(name="reviewers")
    people["group_member"].groups.add(reviewers)
    for c, level in zip(CLASSIFICATIONS, ("view", "download", "change", "manage")):
        document_permission_grant(actor=owner, document=docs[c], level=level, user=people["grantee"])
        document_permission_grant(actor=owner, document=docs[f"linked {c}"], level=level, group=reviewers)
    customer = customer_create(actor=people["account_owner"], name="Harbin Pumps", region="Harbin",
                               owner=people["account_owner"])
    customer_team_add(actor=people["account_owner"], customer=customer, user=people["account_team"])
    customer_team_add(actor=people["account_owner"], customer=customer, user=owner)  # who links the documents
    for c in CLASSIFICATIONS:
        document_link_create(actor=owner, document=docs[f"linked {c}"], target=customer)
    return people, docs


def _active(people) -> list:
    """The rules speak of active staff: can() and visible() turn everyone else away before asking them."""
    return [person for person in people.values() if person.is_active]


def _may(rule, person, action, docs) -> set[int]:
    return {doc.pk for doc in docs.values() if rule.allows(person, action, doc)}


@pytest.mark.parametrize("rule", DOCUMENT_RULES, ids=lambda rule: f"{rule.via}:{type(rule.who).__name__}")
def test_each_rules_python_sql_and_token_forms_agree(world, rule):
    people, docs = world
    tokens = view_principals_for_documents([doc.pk for doc in docs.values()])
    some_allowed = False
    for person, action in itertools.product(_active(people), Action):
        # the SQL form selects exactly the documents the Python form allows
        expected = _may(rule, person, action, docs)
        selected = set(Document.objects.filter(rule.q(person, action) or NOTHING).values_list("pk", flat=True))
        assert selected == expected, (person.username, action)
        some_allowed = some_allowed or bool(expected)
    for person in _active(people):
        # the rule's own index tokens meet the person's tokens exactly where the rule lets them view
        rows = [(d.pk, d.owner_id, d.classification, d.department_id) for d in docs.values()]
        own_tokens: dict[int, set[str]] = {d.pk: set() for d in docs.values()}
        for pk, token, *_ in rule.who.view_tokens(list(own_tokens), rows, rule.classifications):
            own_tokens[pk].add(token)
            assert token in tokens[pk]  # and they are part of the document's indexed tokens
        mine = set(user_principals(person))
        for doc in docs.values():
            assert bool(own_tokens[doc.pk] & mine) == rule.allows(person, Action.VIEW, doc), (person.username, doc.title)
    assert some_allowed  # the world exercises every rule


def _named(access, people) -> list:
    """The people an explanation row speaks of."""
    if access.principal_type == "user":
        return [p for p in people if p.pk == access.principal_id]
    if access.principal_type in ("group", "customer"):
        return [p for p in people if p.pk in {m["id"] for m in access.members}]
    if access.principal_type == "department":
        return [p for p in people if p.department_id == access.principal_id]
    if access.principal_type == "role":
        return [p for p in people if str(Role(p.role).label) == access.principal_label]
    assert access.principal_type == "everyone"
    return list(people)


@pytest.mark.parametrize("rule", DOCUMENT_RULES, ids=lambda rule: f"{rule.via}:{type(rule.who).__name__}")
def test_each_rules_explanation_names_exactly_whom_it_lets_in(world, rule):
    people, docs = world
    for doc in docs.values():
        document = Document.objects.select_related("owner", "department").get(pk=doc.pk)
        explained = rule.who.explain(document, rule) if document.classification in rule.classifications else []
        for action in Action:
            named = {p.pk for access in explained if str(action) in access.actions
                     for p in _named(access, _active(people))}
            allowed = {p.pk for p in _active(people) if rule.allows(p, action, document)}
            assert named == allowed, (document.title, action)


def test_the_table_as_a_whole_agrees_with_can_visible_tokens_and_the_explanation(world):
    people, docs = world
    tokens = view_principals_for_documents([doc.pk for doc in docs.values()])
    for person, action in itertools.product(people.values(), Action):
        allowed = {doc.pk for doc in docs.values() if can(person, action, doc)}
        assert set(visible(person, Document.objects.all(), action).values_list("pk", flat=True)) == allowed
        assert set(Document.objects.filter(document_visibility_q(person, action)).values_list("pk", flat=True)) \
            == allowed
    for person, doc in itertools.product(people.values(), docs.values()):
        assert bool(set(user_principals(person)) & set(tokens[doc.pk])) == can(person, Action.VIEW, doc)
    # the index's readers (whose search may match the text) are exactly those who may read the pages
    both = search_principals_for_documents([doc.pk for doc in docs.values()])
    for person, doc in itertools.product(people.values(), docs.values()):
        view, read = both[doc.pk]
        assert view == tokens[doc.pk]
        assert bool(set(user_principals(person)) & set(read)) == can(person, Action.READ, doc), \
            (person.username, doc.title)
    assert any(set(view) - set(read) for view, read in both.values())  # the world has view-only grants
    # the explanation is the table's, followed by the customers' shares (none here)
    document = Document.objects.select_related("owner", "department").get(pk=docs["linked internal"].pk)
    assert document_access_explanation(document) == document_rules_explanation(document)
    assert [access.via for access in document_rules_explanation(document)] == [
        "owner", "grant", "role:admin", "department", "role:compliance", "customer:owner-and-team"]
