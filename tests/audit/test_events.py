"""The event type registry."""

from __future__ import annotations

import pytest

from backend.audit import events
from backend.audit.events import EventTypeConflict, all_event_types, is_registered, register

PRE_REGISTERED = [
    "document.created",
    "document.viewed",
    "document.updated",
    "document.deleted",
    "document.version.uploaded",
    "document.version.downloaded",
    "document.version.download_url_issued",
    "document.version.checksum_failed",
    "document.version.status_changed",
    "document.version.restored",
    "document.checked_out",
    "document.checked_in",
    "document.lock_broken",
    "document.permission.granted",
    "document.permission.revoked",
    "document.access.listed",
    "document.access.denied",
    "audit.chain.verified",
]


@pytest.fixture
def scratch_registry(monkeypatch):
    """Register test-only names without leaking them into other tests."""
    monkeypatch.setattr(events, "_registry", dict(events._registry))


@pytest.mark.parametrize("name", PRE_REGISTERED)
def test_core_event_types_are_registered_with_a_description(name):
    # given the registry as loaded at start-up
    # when we look the name up
    registered = is_registered(name)
    # then it is there, described in one line
    assert registered
    description = events.event_type(name).description
    assert description and "\n" not in description


def test_all_event_types_are_sorted_by_name():
    # given the registry
    # when it is listed
    names = [item.name for item in all_event_types()]
    # then every core type is listed once, in name order
    assert names == sorted(set(names))
    assert set(PRE_REGISTERED) <= set(names)


def test_another_app_registers_its_own_type(scratch_registry):
    # given a name nobody has registered
    assert not is_registered("example.widget.polished")
    # when an app registers it
    name = register("example.widget.polished", "A widget was polished (a made-up app's event).")
    # then the name is returned for use as a constant and is known
    assert name == "example.widget.polished"
    assert is_registered("example.widget.polished")


def test_registering_the_same_type_again_unchanged_is_harmless(scratch_registry):
    # given a registered type
    register("portal.login", "A portal user signed in.")
    # when it is registered again with the same description
    again = register("portal.login", "A portal user signed in.")
    # then nothing changes
    assert again == "portal.login"
    assert events.event_type("portal.login").description == "A portal user signed in."


def test_registering_a_name_with_a_different_description_is_an_error(scratch_registry):
    # given a registered type
    register("portal.login", "A portal user signed in.")
    # when the same name is registered with another meaning
    # then it is refused and the original stays
    with pytest.raises(EventTypeConflict):
        register("portal.login", "A portal user signed out.")
    assert events.event_type("portal.login").description == "A portal user signed in."


@pytest.mark.parametrize(
    "name", ["document", "Document.Created", "document..created", "document.created.", "doc ument.x", ""]
)
def test_names_must_be_lowercase_dotted_words(scratch_registry, name):
    # given a malformed name
    # when it is registered
    # then it is refused
    with pytest.raises(ValueError):
        register(name, "Something happened.")


def test_a_description_is_required(scratch_registry):
    # given an empty description
    # when a type is registered with it
    # then it is refused
    with pytest.raises(ValueError):
        register("crm.thing.happened", "   ")
