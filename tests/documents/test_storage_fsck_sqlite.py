"""`manage.py storage_fsck` on SQLite, Dossier's embedded default (the suite's database is PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.fixtures.sqlite import _sqlite_template, sqlite_dossier  # noqa: F401 - the fixtures

pytestmark = pytest.mark.slow


def test_storage_fsck_checks_every_stored_version_on_sqlite(sqlite_dossier):  # noqa: F811
    # given a document uploaded through the services on SQLite with the local file store
    created = sqlite_dossier.script(
        "from tests import factories\n"
        "user = factories.UserFactory(username='fsck.rep')\n"
        "factories.document(user, title='Contract')\n"
    )
    assert created.returncode == 0, created.stderr[-3000:]

    # when the integrity check runs
    result = sqlite_dossier.manage("storage_fsck")

    # then it checks the object and finds nothing wrong (it used to stop on SQLite's UNION rules)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "checked 1 objects: 0 missing, 0 corrupt, 0 orphan" in result.stdout
