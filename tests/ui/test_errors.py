"""The pages' one way to show a service's refusal: `Refusal` catches what a page shows, lets a 404 through,
and `report_outcome` puts the sentence (or the refusal, translated) on the next page."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.utils import translation

from backend.common.errors import FileTooLarge, Gone, InvalidInput, NotFound
from backend.ui.errors import Refusal, report_outcome
from storage.errors import StoreUnavailable


def _request():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_a_refusal_is_kept_with_its_message_fields_and_status():
    # given a service that refuses a field
    # when it runs inside Refusal
    with translation.override("en"), Refusal() as refusal:
        raise InvalidInput("The request is invalid.", fields={"title": ["A title is required."]})

    # then the page has the translated sentence, the field's message and the status
    assert refusal
    assert refusal.fields == {"title": ["A title is required."]}
    assert refusal.message == "A title is required."
    assert refusal.status == 400


def test_a_store_outage_is_shown_as_a_503():
    with Refusal() as refusal:
        raise StoreUnavailable("down")

    assert refusal.status == 503
    assert "unavailable" in refusal.message


def test_not_found_goes_on_to_the_404_and_bugs_go_on_to_the_500():
    with pytest.raises(NotFound), Refusal():
        raise NotFound()
    with pytest.raises(ZeroDivisionError), Refusal():
        raise ZeroDivisionError()


def test_a_page_may_let_more_go_on():
    with pytest.raises(Gone), Refusal(passing=(NotFound, Gone)):
        raise Gone("The share has expired.")


def test_nothing_refused_is_false():
    with Refusal() as refusal:
        pass

    assert not refusal


def test_report_outcome_shows_the_sentence_or_the_refusal():
    # given a request with messages
    request = _request()

    # when one action succeeds and another is refused
    first = report_outcome(request, lambda: "Checked in.")

    def too_large() -> str:
        raise FileTooLarge("too large", limit_bytes=1024)

    with translation.override("en"):
        second = report_outcome(request, too_large)

    # then the page shows both, each as its kind
    shown = [(message.level_tag, str(message)) for message in get_messages(request)]
    assert not first and second
    assert shown == [("success", "Checked in."), ("error", "The file is larger than the upload limit of 1.0\xa0KB.")]
