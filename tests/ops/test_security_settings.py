"""Production settings come from the environment, in a process of their own (settings are read once, at
start): with DJANGO_DEBUG off Dossier refuses the development secret key, redirects to HTTPS, sends
HSTS and secure cookies, trusts a proxy's HTTPS header only when one is named, and `check --deploy` is
clean with the environment documented in deploy/env.example."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO / "deploy" / "env.example"

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER")}))
"""


@pytest.fixture(autouse=True)
def real_backends():
    """These tests start their own processes: none of the ops folder's servers are needed."""
    return None


def _clean_environment(tmp_path: Path, **values: str) -> dict[str, str]:
    """This machine's environment without any Django or Dossier setting (the suite sets some), plus `values`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DOSSIER_", "DATABASE_", "STORAGE_", "SEARCH_", "CACHE_", "AUDIT_",
                                  "CELERY_", "EMAIL_", "METRICS_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "backend.settings", "PYTHONPATH": str(REPO),
                "DOSSIER_DATA_DIR": str(tmp_path / "data")})
    env.update(values)
    return env


def _settings_with(tmp_path: Path, **values: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SHOW_SETTINGS], cwd=REPO, env=_clean_environment(tmp_path, **values),
                          capture_output=True, text=True, timeout=120)


def _read(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_debug_off_the_development_secret_key_is_refused(tmp_path):
    # given production settings (DJANGO_DEBUG off) and no DJANGO_SECRET_KEY, or an empty one
    for values in ({"DJANGO_DEBUG": "0"}, {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""}, {}):
        # when the settings are loaded
        result = _settings_with(tmp_path, **values)
        # then Dossier does not start, and says which variable to set
        assert result.returncode != 0, values
        assert "ImproperlyConfigured" in result.stderr
        assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_with_debug_on_the_development_key_is_fine_and_https_is_not_forced(tmp_path):
    # given a developer's machine: DJANGO_DEBUG=1 and no key
    loaded = _read(_settings_with(tmp_path, DJANGO_DEBUG="1"))
    # then it starts, over plain HTTP
    assert loaded["DEBUG"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is False and loaded["SECURE_HSTS_SECONDS"] == 0
    assert loaded["SESSION_COOKIE_SECURE"] is False and loaded["CSRF_COOKIE_SECURE"] is False


def test_with_debug_off_every_https_setting_defaults_to_its_production_value(tmp_path):
    # given DJANGO_DEBUG off and a secret key, nothing else
    loaded = _read(_settings_with(tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50)))
    # then HTTPS is required, remembered by browsers for a year, and the cookies never travel over HTTP
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert loaded["SECURE_HSTS_PRELOAD"] is False
    assert loaded["SESSION_COOKIE_SECURE"] is True and loaded["CSRF_COOKIE_SECURE"] is True
    # and no proxy header is trusted unless one is configured (a client could claim HTTPS with it)
    assert loaded["SECURE_PROXY_SSL_HEADER"] is None


def test_each_https_setting_follows_its_variable(tmp_path):
    # given a server on plain HTTP on purpose, and another behind a TLS proxy
    plain = _read(_settings_with(
        tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_HSTS_SECONDS="0", DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        DJANGO_SESSION_COOKIE_SECURE="0", DJANGO_CSRF_COOKIE_SECURE="0"))
    proxied = _read(_settings_with(
        tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https", DJANGO_SECURE_HSTS_SECONDS="300",
        DJANGO_SECURE_HSTS_PRELOAD="1"))
    django_style = _read(_settings_with(
        tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https"))
    # then each variable turns its own setting
    assert plain["SECURE_SSL_REDIRECT"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["CSRF_COOKIE_SECURE"] is False
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["SECURE_HSTS_SECONDS"] == 300 and proxied["SECURE_HSTS_PRELOAD"] is True
    assert django_style["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_proxy_header_without_its_value_is_refused(tmp_path):
    # given a proxy header with no value that means HTTPS
    result = _settings_with(tmp_path, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                            DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    # then Dossier does not start
    assert result.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER" in result.stderr


def _documented_environment() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    # given deploy/env.example as an operator fills it in: the secret key it leaves empty, made up
    documented = _documented_environment()
    assert documented["DJANGO_SECRET_KEY"] == "", "the example must not ship a usable key"
    documented["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    # when Django's deployment checks run with it (and DJANGO_DEBUG off, as in production)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO,
        env=_clean_environment(tmp_path, **documented), capture_output=True, text=True, timeout=180)
    # then there is nothing to warn about
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
