"""The access policy: rules, grant levels, and agreement between can() and visible()."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import Group

from backend.access.policy import Action, can, document_access_explanation, visible
from backend.access.services import document_permission_grant, document_permission_revoke
from backend.documents.models import Document
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(staff):
    people = staff
    owner = people["owner"]
    docs = {c: factories.document(owner, title=f"{c} doc", classification=c)
            for c in ("public", "internal", "confidential", "secret")}
    reviewers = Group.objects.create(name="bid-reviewers")
    people["group_member"].groups.add(reviewers)
    document_permission_grant(actor=owner, document=docs["secret"], level="download", user=people["grantee"])
    document_permission_grant(actor=owner, document=docs["confidential"], level="change", group=reviewers)
    return people, docs


EXPECTED = {
    # (person, classification): strongest allowed action or None
    ("owner", "public"): "manage", ("owner", "internal"): "manage",
    ("owner", "confidential"): "manage", ("owner", "secret"): "manage",
    ("colleague", "public"): "download", ("colleague", "internal"): "download",
    ("colleague", "confidential"): None, ("colleague", "secret"): None,
    ("outsider", "public"): "download", ("outsider", "internal"): None,
    ("outsider", "confidential"): None, ("outsider", "secret"): None,
    ("admin", "public"): "manage", ("admin", "internal"): "manage",
    ("admin", "confidential"): None, ("admin", "secret"): None,
    ("compliance", "public"): "download", ("compliance", "internal"): "read",
    ("compliance", "confidential"): None, ("compliance", "secret"): None,
    ("grantee", "public"): "download", ("grantee", "internal"): None,
    ("grantee", "confidential"): None, ("grantee", "secret"): "download",
    ("group_member", "public"): "download", ("group_member", "internal"): None,
    ("group_member", "confidential"): "change", ("group_member", "secret"): None,
    ("inactive", "public"): None, ("inactive", "internal"): None,
    ("inactive", "confidential"): None, ("inactive", "secret"): None,
}
ORDER = [None, "view", "read", "download", "change", "manage"]


@pytest.mark.parametrize(("person", "classification"), sorted(EXPECTED))
def test_can_follows_the_rules(world, person, classification):
    people, docs = world
    strongest = EXPECTED[(person, classification)]
    for action in Action:
        allowed = ORDER.index(str(action)) <= ORDER.index(strongest) if strongest else False
        assert can(people[person], action, docs[classification]) is allowed, (person, classification, action)


def test_visible_agrees_with_can_for_every_person_and_action(world):
    people, docs = world
    for person, action in itertools.product(people.values(), Action):
        listed = set(visible(person, Document.objects.all(), action).values_list("pk", flat=True))
        expected = {doc.pk for doc in docs.values() if can(person, action, doc)}
        assert listed == expected, (person.username, action)


def test_confidential_needs_a_grant_even_for_admins_and_revoking_takes_it_away(world):
    people, docs = world
    owner, admin = people["owner"], people["admin"]
    # given the admin cannot see a confidential document
    assert not can(admin, Action.VIEW, docs["confidential"])
    # when the owner grants view, then revokes it
    document_permission_grant(actor=owner, document=docs["confidential"], level="view", user=admin)
    granted = can(admin, Action.VIEW, docs["confidential"])
    document_permission_revoke(actor=owner, document=docs["confidential"], user=admin)
    # then access follows
    assert granted is True
    assert not can(admin, Action.VIEW, docs["confidential"])


def test_a_new_grant_replaces_the_old_level(world):
    people, docs = world
    owner, grantee = people["owner"], people["grantee"]
    document_permission_grant(actor=owner, document=docs["secret"], level="view", user=grantee)
    assert can(grantee, Action.VIEW, docs["secret"])
    assert not can(grantee, Action.DOWNLOAD, docs["secret"])


def test_moving_department_moves_internal_access(world):
    from backend.accounts.services import user_move_department

    people, docs = world
    outsider = people["outsider"]
    assert not can(outsider, Action.VIEW, docs["internal"])
    user_move_department(actor=None, user=outsider, department=people["owner"].department)
    outsider.refresh_from_db()
    assert can(outsider, Action.VIEW, docs["internal"])


def test_the_explanation_names_every_path_to_a_document(world):
    people, docs = world
    rules = document_access_explanation(docs["confidential"])
    summary = {(r.principal_label, r.via, r.actions[-1]) for r in rules}
    assert ("Owner", "owner", "manage") in summary
    assert ("bid-reviewers", "grant", "change") in summary
    group_rule = next(r for r in rules if r.principal_label == "bid-reviewers")
    assert [m["label"] for m in group_rule.members] == ["Member"]
    # no broad rule for a confidential document
    assert not any(r.via.startswith(("role:", "classification:", "department")) for r in rules)
    internal = {(r.via, r.principal_label) for r in document_access_explanation(docs["internal"])}
    assert ("department", "Department sales") in internal


def test_search_principals_agree_with_can_for_viewing(world):
    from backend.access.policy import user_principals, view_principals_for_documents

    people, docs = world
    # given the index tokens of every document and every person
    doc_tokens = view_principals_for_documents([doc.pk for doc in docs.values()])

    # then "tokens intersect" means exactly "may view"
    for person in people.values():
        mine = set(user_principals(person))
        for doc in docs.values():
            assert bool(mine & set(doc_tokens[doc.pk])) == can(person, Action.VIEW, doc), (person.username, doc.title)
