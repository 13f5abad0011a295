"""The id resolver: an id in a request body → the row, or a 400 naming the field (missing and not visible alike)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from backend.accounts.models import User
from backend.common.errors import InvalidInput, NotFound
from backend.common.resolver import resolve, resolve_all
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_no_id_resolves_to_none_without_a_query(django_assert_num_queries):
    # given no id in the body
    # when it is resolved
    with django_assert_num_queries(0):
        found = resolve(User, None, field="user", label="user")

    # then there is no row, and no error
    assert found is None


def test_an_id_of_a_model_resolves_to_its_row_in_one_query(django_assert_num_queries):
    # given a user
    user = UserFactory()

    # when its id is resolved against the model
    with django_assert_num_queries(1):
        found = resolve(User, user.pk, field="user", label="user")

    # then it is that user
    assert found == user


def test_a_missing_id_is_a_400_naming_the_field():
    # given an id no group has
    missing = (Group.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    # when it is resolved
    with pytest.raises(InvalidInput) as caught:
        resolve(Group, missing, field="group", label="group")

    # then the error names the field with the label's sentence
    assert caught.value.message == "No such group."
    assert caught.value.extra == {"fields": {"group": ["No such group."]}}


def test_a_row_outside_the_queryset_looks_missing():
    # given an inactive user, and the rows the caller may name: active users
    inactive = UserFactory(is_active=False)

    # when its id is resolved against those rows
    with pytest.raises(InvalidInput) as caught:
        resolve(User.objects.filter(is_active=True), inactive.pk, field="engineer", label="active user")

    # then it is a 400 on the field, exactly as for an id that names nothing
    assert caught.value.extra == {"fields": {"engineer": ["No such active user."]}}


def test_a_selector_that_raises_not_found_is_a_400_on_the_field():
    # given a selector that finds nothing (as for a row the caller may not see)
    def selector(pk):
        raise NotFound()

    # when an id is resolved through it
    with pytest.raises(InvalidInput) as caught:
        resolve(selector, 7, field="customer", label="customer")

    # then the 404 becomes a 400 naming the field
    assert caught.value.message == "No such customer."
    assert caught.value.extra == {"fields": {"customer": ["No such customer."]}}


def test_a_selector_result_is_returned_as_is():
    # given a selector that finds a row
    # when an id is resolved through it
    found = resolve(lambda pk: ("row", pk), 3, field="thing", label="thing")

    # then the selector's row is the answer
    assert found == ("row", 3)


def test_many_ids_resolve_in_one_query_and_every_missing_one_is_named(django_assert_num_queries):
    # given two users, and two ids that name nobody
    first, second = UserFactory(), UserFactory()
    top = User.objects.order_by("-pk").values_list("pk", flat=True).first()

    # when the two users' ids are resolved
    with django_assert_num_queries(1):
        found = resolve_all(User, [second.pk, first.pk, first.pk], field="users", label="user")

    # then both come back, once each
    assert sorted(user.pk for user in found) == sorted([first.pk, second.pk])

    # and when missing ids are among them, the 400 lists them in order
    with pytest.raises(InvalidInput) as caught:
        resolve_all(User, [top + 2, first.pk, top + 1], field="users", label="user")
    message = f"No such user: {top + 1}, {top + 2}."
    assert caught.value.message == message
    assert caught.value.extra == {"fields": {"users": [message]}}
