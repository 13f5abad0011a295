"""An index written by another version of Dossier is rebuilt by `search_reindex --clear`, and only when
needed by `--if-outdated` (what `./dossier demo` runs on every start)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from indexing.backends.tantivy import MARKER
from tests.factories import UserFactory, document

pytestmark = pytest.mark.django_db


def _reindex(*args) -> str:
    out = io.StringIO()
    call_command("search_reindex", "--no-progress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _made_stale(backend):
    backend.close()
    marker = backend.path / MARKER
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "schema": 2}))


def test_an_up_to_date_index_is_left_alone(tantivy_index):
    _reindex()
    assert "nothing to do" in _reindex("--if-outdated")


def test_an_index_of_another_version_is_refused_without_clear_and_rebuilt_with_it(tantivy_index):
    # given an index written by another version, over a document
    document(UserFactory())
    _reindex()
    _made_stale(tantivy_index)
    # then a plain run refuses, saying how to rebuild
    with pytest.raises(CommandError, match="search_reindex --clear"):
        _reindex()
    # and --if-outdated rebuilds it, after which search works again
    assert "rebuilding" in _reindex("--if-outdated")
    assert tantivy_index.stats().documents >= 1
    assert "nothing to do" in _reindex("--if-outdated")


def test_clear_rebuilds_an_index_of_another_version(tantivy_index):
    _reindex()
    _made_stale(tantivy_index)
    assert "Reindexing" in _reindex("--clear")
    assert not tantivy_index.stats().outdated
