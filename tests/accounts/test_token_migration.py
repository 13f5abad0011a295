"""Migration 0003 keeps DRF's existing tokens working, hashed, and leaves no clear key behind."""

from __future__ import annotations

import hashlib
import importlib

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from backend.accounts.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db

migration = importlib.import_module("backend.accounts.migrations.0003_api_tokens_hashed")


def test_drf_keys_are_hashed_into_api_tokens_and_the_clear_table_is_dropped(settings, tmp_path):
    # given DRF's token table as an older Dossier left it, with a client's key in clear
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    user = factories.UserFactory()
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, user_id bigint, created timestamptz)')
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, now())", [key, user.pk])

    # when the data step of the migration runs
    with connection.schema_editor() as editor:
        migration.hash_drf_tokens(apps, editor)

    # then the key is stored only as its digest, the old table is gone, and the client still gets in
    assert ApiToken.objects.get(user=user).key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert "authtoken_token" not in connection.introspection.table_names()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/documents/").wsgi_request.user == user

