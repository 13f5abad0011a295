"""The search input's fields are made once per thread and shared: each request still reads only its own."""

from __future__ import annotations

import threading

from django.http import QueryDict

from indexing.api.serializers import SearchQueryInput


def _read(query: str) -> SearchQueryInput:
    serializer = SearchQueryInput(data=QueryDict(query))
    serializer.is_valid()
    return serializer


def test_two_requests_on_one_thread_share_the_fields_and_each_reads_its_own_parameters():
    # given a request with bad filters, then a good one, then another bad one on the same thread
    bad = _read("q=x&kind=nonsense&page=0")
    good = _read("q=%E6%8A%A5%E4%BB%B7&kind=quote,contract&file_type=pdf&facets=all&page=2")
    other_bad = _read("date_from=2026-02-01&date_to=2026-01-01")

    # then the fields were made once (DRF copies every declared field per instance)
    assert bad.fields is good.fields is other_bad.fields
    # and each request's errors and values are its own
    assert set(bad.errors) == {"kind", "page"}
    assert good.errors == {}
    assert good.validated_data["q"] == "报价"
    assert good.validated_data["kind"] == ["quote", "contract"]
    assert good.validated_data["file_type"] == ["application/pdf"]
    assert good.validated_data["page"] == 2
    assert good.validated_data["status"] == [] and good.validated_data["customer"] == []
    assert set(other_bad.errors) == {"date_to"}
    # and a default list handed to one request is not the one another request gets
    good.validated_data["status"].append("draft")
    assert _read("q=x").validated_data["status"] == []


def test_another_thread_gets_fields_of_its_own():
    here = _read("q=x").fields
    there = []
    thread = threading.Thread(target=lambda: there.append(_read("q=y").fields))
    thread.start()
    thread.join()

    assert there[0] is not here
    assert _read("q=z").fields is here
