"""Dossier's one settings module.

The environment is read here, once. Every backend (database, object store,
search engine, task queue) is chosen by a URL, and every URL has an embedded
default so that `./dossier demo` needs no other service:

    DATABASE_URL   sqlite:///<data dir>/dossier.sqlite3    (production: postgres://...)
    STORAGE_URL    file://<data dir>/objects                (production: s3://KEY:SECRET@host:9000/bucket)
    SEARCH_URL     tantivy://<data dir>/search              (production: opensearch://host:9200)
    CELERY_BROKER_URL  empty: tasks run in-process          (production: redis://host:6379/0)
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DATA_DIR = Path(_env("DOSSIER_DATA_DIR", str(BASE_DIR / "var" / "local"))).resolve()

DEBUG = _env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# --- security: secret key, HTTPS, cookies, headers ----------------------------------------
# With DJANGO_DEBUG off (the default) every value is the production one; a server that speaks plain
# HTTP on purpose (the demo, the test stack on loopback) turns the HTTPS ones off by name.
DEVELOPMENT_SECRET_KEY = "dossier-insecure-development-key-change-me"
SECRET_KEY = _env("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set, so Dossier would sign sessions, password-reset links and CSRF "
        "tokens with the public development key. Set DJANGO_SECRET_KEY to a long random value, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`, or set DJANGO_DEBUG=1 for "
        "development."
    )
# Plain HTTP is redirected to HTTPS (the probes /healthz, /readyz and /metrics answer either way).
SECURE_SSL_REDIRECT = _env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Strict-Transport-Security on HTTPS responses: a year, for this host and its subdomains. "preload"
# (consent to the browsers' built-in HSTS lists, which the domain's owner still has to apply for) only
# when asked for.
SECURE_HSTS_SECONDS = _env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = _env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
# Session and CSRF cookies travel over HTTPS only.
SESSION_COOKIE_SECURE = _env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = _env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
# A CSRF failure under /api/ answers JSON in the API's error shape; elsewhere Django's page.
CSRF_FAILURE_VIEW = "backend.common.exceptions.csrf_failure"


def _proxy_ssl_header(raw: str) -> tuple[str, str] | None:
    """"X-Forwarded-Proto: https" (or "HTTP_X_FORWARDED_PROTO,https") -> ("HTTP_X_FORWARDED_PROTO", "https")."""
    if not raw.strip():
        return None
    name, separator, value = raw.replace(",", ":", 1).partition(":")
    name, value = name.strip().upper().replace("-", "_"), value.strip()
    if not separator or not name or not value:
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER={raw!r}: expected a header and the value that means HTTPS, "
            "e.g. 'X-Forwarded-Proto: https'."
        )
    return (name if name.startswith("HTTP_") else f"HTTP_{name}"), value


# Behind a proxy that terminates TLS, the header it sets (and strips from clients) saying the request
# came over HTTPS. Only then: trusting it anywhere else lets a client claim HTTPS.
_proxy_header = _proxy_ssl_header(_env("DJANGO_SECURE_PROXY_SSL_HEADER"))
if _proxy_header is not None:
    SECURE_PROXY_SSL_HEADER = _proxy_header
# Content-Security-Policy on every response (django-csp): scripts and everything else from this
# origin only, no inline script, no eval, no plugins, no framing by other sites. Inline style
# attributes are still allowed. File previews set their own, sandboxed policy
# (backend/ops/headers.py); the API docs add what Swagger UI and Redoc need (backend/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    }
}

INSTALLED_APPS = [
    # Django's admin with Dossier's site: role-based access, sign-in and passwords through the accounts services.
    "backend.accounts.admin_apps.DossierAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "backend.common",
    "backend.ops",
    "backend.accounts",
    "backend.audit",
    "backend.documents",
    "backend.access",
    "backend.crm",
    "backend.sharing",
    "backend.notifications",
    "backend.intake",
    "indexing",
    "backend.ui",
    "backend.web",
    "portal",
    "demo",
]

MIDDLEWARE = [
    # First: answers /healthz, /readyz and /metrics itself, and measures every other request.
    "backend.ops.middleware.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files stay cacheable: everything else is private and never stored.
    "backend.ops.headers.NoStoreMiddleware",
    "backend.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backend.access.boundary.PortalBoundaryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "backend.web.context_processors.staff_nav",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        _env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'dossier.sqlite3'}"),
        conn_max_age=_env_int("DATABASE_CONN_MAX_AGE", 60),
        # A kept connection is checked before reuse, so a database restart costs no failed request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that is down must fail a request in seconds (503), not hang it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", _env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:signin"

# django-guardian: no anonymous user row; we never grant to anonymous.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _env("DOSSIER_TIME_ZONE", "Asia/Shanghai")
# The one time zone the compliance console shows and exports, always with its offset ("+08:00").
DISPLAY_TIME_ZONE = _env("DOSSIER_DISPLAY_TIME_ZONE", TIME_ZONE)
USE_I18N = True
USE_TZ = True
# One date style per language: 2026-12-04 14:05 / 2026年12月4日 14:05 (backend/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["backend.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(_env("DOSSIER_STATIC_ROOT", str(DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so unauthenticated calls get 401 with a WWW-Authenticate header.
        "backend.access.token_auth.PreparedTokenAuthentication",
        # DRF's, with CSRF failures as a 403 in the API's error shape.
        "backend.common.api.SessionAuthentication",
    ],
    # DRF's three, with a JSON parser that answers 400 (not 500) to a body nested too deeply.
    "DEFAULT_PARSER_CLASSES": [
        "backend.common.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.access.boundary.StaffOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "backend.common.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "backend.common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "backend.common.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dossier API",
    "DESCRIPTION": (
        "Versioned, permissioned and audited documents with a CRM core. "
        "Anything the caller may not see answers 404, exactly like a missing id."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DocumentKindEnum": "backend.documents.models.DocumentKind",
        "VersionStatusEnum": "backend.documents.models.VersionStatus",
        "QuoteStatusEnum": "backend.crm.models.QuoteStatus",
        "OrderStatusEnum": "backend.crm.models.OrderStatus",
        "StageEnum": "backend.crm.models.Stage",
        "CustomerStatusEnum": "backend.crm.models.CustomerStatus",
        "ArticleStatusEnum": "backend.crm.models.ArticleStatus",
        "ActivityKindEnum": "backend.crm.models.ActivityKind",
    },
    # Every operation documents the errors it can answer, in the one error shape (backend/common/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.common.schema.document_error_responses",
    ],
}

# --- object storage ------------------------------------------------------
STORAGE_URL = _env("STORAGE_URL", f"file://{DATA_DIR / 'objects'}")
# Server-side encryption for S3: "" (none), "s3" (SSE-S3) or "c" (SSE-C with STORAGE_SSE_C_KEY, base64 of 32 bytes).
STORAGE_SSE = _env("STORAGE_SSE", "")
STORAGE_SSE_C_KEY = _env("STORAGE_SSE_C_KEY", "")
STORAGE_PRESIGN_SECONDS = _env_int("STORAGE_PRESIGN_SECONDS", 300)
# Objects younger than this are never swept as orphans (an upload may still be committing).
STORAGE_GC_GRACE_SECONDS = _env_int("STORAGE_GC_GRACE_SECONDS", 3600)

# --- uploads ----------------------------------------------------------------
UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 2 * 1024**3)
UPLOAD_ALLOWED_TYPES = _env_list(
    "UPLOAD_ALLOWED_TYPES",
    [
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/tiff",
        "text/plain",
        "text/csv",
        "message/rfc822",
    ],
)
# Django keeps small uploads in memory and spools larger ones to disk; our
# raw-body upload path streams straight to the store instead.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None

# Search pages let PostgreSQL plan their few statements once per connection (PREPARE/EXECUTE).
# Turn off behind a connection pooler in transaction mode (e.g. PgBouncer), where a session's
# prepared statements do not follow the client.
DATABASE_PREPARED_STATEMENTS = _env_bool("DATABASE_PREPARED_STATEMENTS", True)

# --- customer portal ----------------------------------------------------------
PORTAL_URL_PREFIX = "/portal/"
# Where links in invitation e-mails point when no request is at hand (e.g. the demo seed).
SITE_URL = _env("DOSSIER_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
PORTAL_INVITATION_SECONDS = _env_int("PORTAL_INVITATION_SECONDS", 7 * 24 * 3600)
# "Forgot password" (backend.sharing.portal_accounts.portal_password_reset_request): the e-mailed link works
# once, for PORTAL_PASSWORD_RESET_SECONDS. Per PORTAL_PASSWORD_RESET_WINDOW_SECONDS, one e-mail address gets
# at most PORTAL_PASSWORD_RESET_MAX_PER_EMAIL links (further requests answer alike and send nothing), and
# one client address may ask PORTAL_PASSWORD_RESET_MAX_PER_IP times before it must wait (429).
PORTAL_PASSWORD_RESET_SECONDS = _env_int("PORTAL_PASSWORD_RESET_SECONDS", 3600)
PORTAL_PASSWORD_RESET_WINDOW_SECONDS = _env_int("PORTAL_PASSWORD_RESET_WINDOW_SECONDS", 3600)
PORTAL_PASSWORD_RESET_MAX_PER_EMAIL = _env_int("PORTAL_PASSWORD_RESET_MAX_PER_EMAIL", 3)
PORTAL_PASSWORD_RESET_MAX_PER_IP = _env_int("PORTAL_PASSWORD_RESET_MAX_PER_IP", 20)
# Portal sign-in, counted like the staff's (see backend/accounts/signin_limits.py): this many wrong
# passwords for one e-mail from one address lock that pair for PORTAL_LOCKOUT_SECONDS (doubling for
# each further lock within a day); from this many on, the e-mail itself backs off (1 s doubling, at
# most PORTAL_SIGNIN_NAME_BACKOFF_MAX_SECONDS) except from an address it signed in from within
# PORTAL_SIGNIN_KNOWN_ADDRESS_SECONDS. A stranger cannot lock a customer out of the portal for long.
PORTAL_SIGNIN_MAX_FAILURES = _env_int("PORTAL_SIGNIN_MAX_FAILURES", 5)
PORTAL_LOCKOUT_SECONDS = _env_int("PORTAL_LOCKOUT_SECONDS", 15 * 60)
PORTAL_SIGNIN_NAME_BACKOFF_MAX_SECONDS = _env_int("PORTAL_SIGNIN_NAME_BACKOFF_MAX_SECONDS", 5 * 60)
PORTAL_SIGNIN_KNOWN_ADDRESS_SECONDS = _env_int("PORTAL_SIGNIN_KNOWN_ADDRESS_SECONDS", 30 * 24 * 3600)
# Failed portal sign-ins from one address (any e-mail, known or not) before it must wait.
PORTAL_SIGNIN_MAX_FAILURES_PER_IP = _env_int("PORTAL_SIGNIN_MAX_FAILURES_PER_IP", 30)
# Staff sign-in (web form, API token, browsable API): wrong passwords per user name, and failures
# per address, before they must wait STAFF_LOCKOUT_SECONDS (counted in the cache; see CACHE_URL).
STAFF_SIGNIN_MAX_FAILURES = _env_int("STAFF_SIGNIN_MAX_FAILURES", 5)
STAFF_SIGNIN_MAX_FAILURES_PER_IP = _env_int("STAFF_SIGNIN_MAX_FAILURES_PER_IP", 30)
STAFF_LOCKOUT_SECONDS = _env_int("STAFF_LOCKOUT_SECONDS", 15 * 60)
# The rules are in backend/accounts/signin_limits.py: the lock above is per (address, user name) and
# per address; a user name alone (failures from any address) only backs off, 1 s doubling up to this
# (0: never), and not at all from an address where that name signed in within the last
# STAFF_SIGNIN_KNOWN_ADDRESS_SECONDS.
STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS = _env_int("STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS", 5 * 60)
STAFF_SIGNIN_KNOWN_ADDRESS_SECONDS = _env_int("STAFF_SIGNIN_KNOWN_ADDRESS_SECONDS", 30 * 24 * 3600)
# Reverse proxies (comma-separated addresses or networks) whose X-Forwarded-For names the client;
# empty: trust nobody, the client is the TCP peer. See backend/common/client_address.py.
TRUSTED_PROXIES = [ipaddress.ip_network(net, strict=False) for net in _env_list("TRUSTED_PROXIES", [])]
# API tokens (/api/auth/token/) expire this long after they are issued; only their SHA-256 is stored.
API_TOKEN_TTL_SECONDS = _env_int("API_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
# Service-request attachments from customers: photos, PDFs, text and Office files, smaller limit.
SERVICE_ATTACHMENT_MAX_BYTES = _env_int("SERVICE_ATTACHMENT_MAX_BYTES", 20 * 1024**2)
# A follow-up visit (回访) is due this many days after a service record is resolved: a reminder for the
# customer's owner (backend/crm/services/service.py). 0 (the default): none is scheduled.
SERVICE_FOLLOW_UP_DAYS = max(0, _env_int("SERVICE_FOLLOW_UP_DAYS", 0))
SERVICE_ATTACHMENT_TYPES = _env_list(
    "SERVICE_ATTACHMENT_TYPES",
    ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
)
# View-only shares render PDF pages as images at this width (pixels); at most this many pages.
SHARE_PAGE_WIDTH = _env_int("SHARE_PAGE_WIDTH", 1100)
SHARE_MAX_PAGES = _env_int("SHARE_MAX_PAGES", 200)
# Pages and pictures are rendered in a child process with these limits; a page taller than 4 widths
# is scaled to fit, and a picture of more than SHARE_IMAGE_MAX_PIXELS is not decoded at all: both
# show "cannot be shown" instead of using unbounded memory.
SHARE_RENDER_TIMEOUT_SECONDS = _env_int("SHARE_RENDER_TIMEOUT_SECONDS", 20)
SHARE_RENDER_MAX_MEMORY_MB = _env_int("SHARE_RENDER_MAX_MEMORY_MB", 512)
SHARE_IMAGE_MAX_PIXELS = _env_int("SHARE_IMAGE_MAX_PIXELS", 50 * 1000**2)  # 50 megapixels
# Staff previews (backend/documents/previews.py) use the limits above for pages and pictures; office files
# are converted by headless LibreOffice (PREVIEW_SOFFICE) within these limits first. Pages, thumbnails and
# converted PDFs are cached per version in PREVIEW_CACHE_DIR, held under PREVIEW_CACHE_MAX_MB.
PREVIEW_CACHE_DIR = Path(_env("PREVIEW_CACHE_DIR", str(DATA_DIR / "previews")))
PREVIEW_CACHE_MAX_MB = _env_int("PREVIEW_CACHE_MAX_MB", 2048)
PREVIEW_SOFFICE = _env("PREVIEW_SOFFICE", "soffice")
PREVIEW_CONVERT_TIMEOUT_SECONDS = _env_int("PREVIEW_CONVERT_TIMEOUT_SECONDS", 60)
PREVIEW_CONVERT_MAX_MEMORY_MB = _env_int("PREVIEW_CONVERT_MAX_MEMORY_MB", 2048)
PREVIEW_CONVERT_MAX_PDF_MB = _env_int("PREVIEW_CONVERT_MAX_PDF_MB", 64)
# LibreOffice runs at once on one machine, and how long a conversion waits for its turn.
PREVIEW_MAX_CONVERSIONS = _env_int("PREVIEW_MAX_CONVERSIONS", 2)
PREVIEW_CONVERT_QUEUE_SECONDS = _env_int("PREVIEW_CONVERT_QUEUE_SECONDS", 30)
PREVIEW_MAX_SOURCE_MB = _env_int("PREVIEW_MAX_SOURCE_MB", 100)  # larger files: "cannot be shown"
PREVIEW_TEXT_MAX_BYTES = _env_int("PREVIEW_TEXT_MAX_BYTES", 256 * 1024)
PREVIEW_THUMBNAIL_WIDTH = _env_int("PREVIEW_THUMBNAIL_WIDTH", 160)
# A file that could not be drawn is not tried again for this long.
PREVIEW_REFUSAL_SECONDS = _env_int("PREVIEW_REFUSAL_SECONDS", 3600)
# Stamped downloads (backend/documents/stamping.py): a download of a document of these classifications is a
# PDF with the reader's mark on every page, never the original. Other types than PDF are converted ("convert":
# office files through the previews' cached LibreOffice PDF, pictures drawn as a page) or refused ("refuse")
# with a message pointing to the view-only copy. Stamping runs in a child process within these limits.
STAMPED_DOWNLOAD_CLASSIFICATIONS = _env_list("STAMPED_DOWNLOAD_CLASSIFICATIONS", ["confidential", "secret"])
STAMPED_DOWNLOAD_OTHER_TYPES = _env("STAMPED_DOWNLOAD_OTHER_TYPES", "convert")
if STAMPED_DOWNLOAD_OTHER_TYPES not in ("convert", "refuse"):
    raise ImproperlyConfigured("STAMPED_DOWNLOAD_OTHER_TYPES must be convert or refuse")
STAMPED_DOWNLOAD_TIMEOUT_SECONDS = _env_int("STAMPED_DOWNLOAD_TIMEOUT_SECONDS", 60)
STAMPED_DOWNLOAD_MAX_MEMORY_MB = _env_int("STAMPED_DOWNLOAD_MAX_MEMORY_MB", 1024)
STAMPED_DOWNLOAD_MAX_MB = _env_int("STAMPED_DOWNLOAD_MAX_MB", 100)
STAMPED_DOWNLOAD_MAX_PAGES = _env_int("STAMPED_DOWNLOAD_MAX_PAGES", 2000)

# --- e-mail -------------------------------------------------------------------
# Default: every message is written to a file under the data directory (open it to follow an
# invitation link in the demo). Production: EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_BACKEND = _env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = _env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_HOST = _env("EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = _env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = _env("DEFAULT_FROM_EMAIL", "Dossier <no-reply@dossier.local>")

# --- cache (sign-in rate limits) ------------------------------------------------
# Files under DATA_DIR by default, so every process of one machine (gunicorn's workers) shares the
# counts; with web processes on several machines set CACHE_URL=redis://host:6379/1.
CACHE_URL = _env("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                # a Redis that is down fails a sign-in in seconds (503), not after the OS's timeouts
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(DATA_DIR / "cache")}
}

# --- documents --------------------------------------------------------------
CHECKOUT_TTL_SECONDS = _env_int("CHECKOUT_TTL_SECONDS", 8 * 3600)
# Four-eyes approval: for documents of these classifications, whoever uploaded a version may not approve
# it; another person with change access must. Comma-separated; "none" turns the rule off.
DOCUMENT_FOUR_EYES_CLASSIFICATIONS = [
    name for name in _env_list("DOCUMENT_FOUR_EYES_CLASSIFICATIONS", ["confidential", "secret"]) if name != "none"]

# --- search -----------------------------------------------------------------
SEARCH_URL = _env("SEARCH_URL", f"tantivy://{DATA_DIR / 'search'}")
# Text extraction budget per version: bigger files, or extraction running longer, mark the version
# "failed" with the reason (its metadata is still searchable). Text beyond MAX_CHARS is not indexed.
SEARCH_EXTRACT_MAX_BYTES = _env_int("SEARCH_EXTRACT_MAX_BYTES", 100 * 1024**2)
SEARCH_EXTRACT_TIMEOUT_SECONDS = _env_int("SEARCH_EXTRACT_TIMEOUT_SECONDS", 60)
SEARCH_EXTRACT_MAX_CHARS = _env_int("SEARCH_EXTRACT_MAX_CHARS", 2_000_000)
# Extraction runs in a child process limited to this much memory (address space); an Office or
# OpenDocument file expanding to more than MAX_EXPANDED_MB uncompressed is refused as a zip bomb.
SEARCH_EXTRACT_MAX_MEMORY_MB = _env_int("SEARCH_EXTRACT_MAX_MEMORY_MB", 512)
SEARCH_EXTRACT_MAX_EXPANDED_MB = _env_int("SEARCH_EXTRACT_MAX_EXPANDED_MB", 256)
# Those children are long-lived (indexing/extract/pool.py): each process keeps up to POOL_SIZE idle ones,
# and a child reads up to CHILD_MAX_FILES files, one at a time, before it is replaced (at once after any
# file it could not read, or that hit a limit).
SEARCH_EXTRACT_POOL_SIZE = _env_int("SEARCH_EXTRACT_POOL_SIZE", 2)
SEARCH_EXTRACT_CHILD_MAX_FILES = _env_int("SEARCH_EXTRACT_CHILD_MAX_FILES", 100)
# A version whose content could not be read this many times (store down) is marked failed.
SEARCH_EXTRACT_MAX_ATTEMPTS = _env_int("SEARCH_EXTRACT_MAX_ATTEMPTS", 5)
# OCR (Tesseract, indexing/extract/ocr.py) for images and PDF pages without a text layer, inside the same
# child process and time budget. LANGUAGES as tesseract's -l ("" turns OCR off); pages are rendered at DPI,
# at most MAX_PIXELS each (a bigger page is rendered smaller), at most MAX_PAGES pages per file.
SEARCH_OCR_LANGUAGES = _env("SEARCH_OCR_LANGUAGES", "chi_sim+chi_tra+eng")
SEARCH_OCR_DPI = _env_int("SEARCH_OCR_DPI", 300)
SEARCH_OCR_MAX_PIXELS = _env_int("SEARCH_OCR_MAX_PIXELS", 12_000_000)
SEARCH_OCR_MAX_PAGES = _env_int("SEARCH_OCR_MAX_PAGES", 100)
# How much of each version's text the search index stores for snippets (both backends).
SEARCH_SNIPPET_SOURCE_CHARS = _env_int("SEARCH_SNIPPET_SOURCE_CHARS", 200_000)
# Documents synced per outbox batch.
SEARCH_OUTBOX_BATCH = _env_int("SEARCH_OUTBOX_BATCH", 100)
# A worker that takes outbox rows holds them this long; if it dies, the rows are due again after it.
SEARCH_OUTBOX_LEASE_SECONDS = _env_int("SEARCH_OUTBOX_LEASE_SECONDS", 300)
# How often Celery beat drains the outbox (the backlog of an outage, or work whose task was lost).
SEARCH_OUTBOX_DRAIN_SECONDS = _env_int("SEARCH_OUTBOX_DRAIN_SECONDS", 60)

# --- background work --------------------------------------------------------
CELERY_BROKER_URL = _env("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == ""
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# A task whose worker died is handed out again after this (Redis keeps unacknowledged tasks aside).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "socket_connect_timeout": 3,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing with the broker down gives up quickly: the outbox row is already written, and the
# periodic drain does the work once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

# --- audit ------------------------------------------------------------------
AUDIT_ENABLED = _env_bool("AUDIT_ENABLED", True)
# The key of the hash chain, kept outside the database (text, or a file holding it). With neither,
# one is generated in DATA_DIR/audit-chain.key.
AUDIT_CHAIN_KEY = _env("AUDIT_CHAIN_KEY", "")
AUDIT_CHAIN_KEY_FILE = _env("AUDIT_CHAIN_KEY_FILE", "")
# Signed checkpoints of the chain's head go here: an S3 bucket with Object Lock in production
# (s3://KEY:SECRET@host:9000/dossier-audit), kept AUDIT_CHECKPOINT_RETENTION_DAYS.
AUDIT_CHECKPOINT_URL = _env("AUDIT_CHECKPOINT_URL", f"file://{DATA_DIR / 'audit-checkpoints'}")
AUDIT_CHECKPOINT_RETENTION_DAYS = _env_int("AUDIT_CHECKPOINT_RETENTION_DAYS", 10 * 365)
AUDIT_CHECKPOINT_SECONDS = _env_int("AUDIT_CHECKPOINT_SECONDS", 3600)

# --- operations: probes, metrics, logs --------------------------------------
# /readyz answers 503 when one of these is down (of database, storage, search, broker); the
# others only make it "degraded".
READYZ_REQUIRED = _env_list("READYZ_REQUIRED", ["database", "storage"])
READYZ_TIMEOUT_SECONDS = float(_env("READYZ_TIMEOUT_SECONDS", "3"))
# /metrics: a scraper sends "Authorization: Bearer $METRICS_TOKEN", or calls from one of these
# networks without going through a proxy.
METRICS_TOKEN = _env("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(net, strict=False)
    for net in _env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
]

# DOSSIER_LOG_FORMAT=json: one JSON object per line, with the request id, and one line per request.
LOG_FORMAT = _env("DOSSIER_LOG_FORMAT", "plain").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "backend.ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "backend.ops.logs.DossierJsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": _env("DOSSIER_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A line per request only with JSON logs (the plain format leaves that to gunicorn's access log).
        "dossier.requests": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
    },
}

# --- notifications (backend/notifications; N1) ----------------------------------------------------
# E-mails go through EMAIL_BACKEND above, sent by a Celery task after commit. A failed send is tried
# again by the retry beat task after NOTIFICATIONS_RETRY_SECONDS (doubling), up to NOTIFICATIONS_MAX_ATTEMPTS
# tries; then it stays "failed" in the admin's Deliveries list. The daily digest goes out at
# NOTIFICATIONS_DIGEST_HOUR (local time, TIME_ZONE).
NOTIFICATIONS_MAX_ATTEMPTS = _env_int("NOTIFICATIONS_MAX_ATTEMPTS", 5)
NOTIFICATIONS_RETRY_SECONDS = _env_int("NOTIFICATIONS_RETRY_SECONDS", 300)
NOTIFICATIONS_DIGEST_HOUR = _env_int("NOTIFICATIONS_DIGEST_HOUR", 7)
from celery.schedules import crontab  # noqa: E402 (the digest's daily schedule below)
# SMS: no provider is reachable here; the file backend writes one JSON line per message.
SMS_BACKEND = _env("SMS_BACKEND", "backend.notifications.sms.FileSmsBackend")
SMS_FILE_PATH = _env("SMS_FILE_PATH", str(DATA_DIR / "sms" / "messages.jsonl"))
# The triggers' beat passes (backend/notifications/triggers.py): reminders that came due within the last
# NOTIFICATIONS_REMINDER_LOOKBACK_HOURS (every NOTIFICATIONS_SCAN_SECONDS); sent quotes ending within
# NOTIFICATIONS_QUOTE_EXPIRY_DAYS; invoices overdue (due within the last NOTIFICATIONS_OVERDUE_LOOKBACK_DAYS);
# shares and approvals ending within NOTIFICATIONS_EXPIRY_WARNING_DAYS. Each is told once.
NOTIFICATIONS_SCAN_SECONDS = max(30, _env_int("NOTIFICATIONS_SCAN_SECONDS", 300))
NOTIFICATIONS_REMINDER_LOOKBACK_HOURS = _env_int("NOTIFICATIONS_REMINDER_LOOKBACK_HOURS", 48)
NOTIFICATIONS_QUOTE_EXPIRY_DAYS = _env_int("NOTIFICATIONS_QUOTE_EXPIRY_DAYS", 3)
NOTIFICATIONS_OVERDUE_LOOKBACK_DAYS = _env_int("NOTIFICATIONS_OVERDUE_LOOKBACK_DAYS", 30)
NOTIFICATIONS_EXPIRY_WARNING_DAYS = _env_int("NOTIFICATIONS_EXPIRY_WARNING_DAYS", 7)

CELERY_BEAT_SCHEDULE = {
    "storage-gc-hourly": {"task": "documents.storage_gc", "schedule": 3600.0},
    "search-outbox-drain": {"task": "indexing.drain_outbox", "schedule": float(SEARCH_OUTBOX_DRAIN_SECONDS)},
    "search-expiry-daily": {"task": "indexing.enqueue_expired", "schedule": 6 * 3600.0},
    "audit-checkpoint": {"task": "audit.checkpoint", "schedule": float(AUDIT_CHECKPOINT_SECONDS)},
    # notifications (N1)
    "notifications-retry": {"task": "notifications.retry_deliveries", "schedule": 60.0},
    "notifications-digest": {"task": "notifications.daily_digest",
                             "schedule": crontab(minute=0, hour=NOTIFICATIONS_DIGEST_HOUR)},
    "notifications-scan-due": {"task": "notifications.scan_due", "schedule": float(NOTIFICATIONS_SCAN_SECONDS)},
    "notifications-scan-daily": {"task": "notifications.scan_daily", "schedule": 6 * 3600.0},
}

# --- Trash and legal holds (T1, issue 17) ---------------------------------------------------------------
# A deleted document stays in the trash this many days (restorable by whoever could manage it), then the
# purge job deletes it for good (never one under a legal hold). The legal-hold sync makes the store hold
# the objects of held documents (S3 Object Lock: STORAGE_URL with ?object_lock=1) and release the rest.
TRASH_RETENTION_DAYS = _env_int("TRASH_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE["trash-purge-daily"] = {"task": "documents.trash_purge", "schedule": 24 * 3600.0}
CELERY_BEAT_SCHEDULE["legal-holds-sync-hourly"] = {"task": "documents.legal_holds_sync", "schedule": 3600.0}

# --- CRM --------------------------------------------------------------------
# Warn when a new quote's net unit price differs from the customer's last accepted one by more than this.
QUOTE_PRICE_DEVIATION_PERCENT = _env_int("QUOTE_PRICE_DEVIATION_PERCENT", 10)
# The header of every quote PDF (company name; details such as address and phone, lines split by "|") and
# its terms ("|" between terms; empty: the standard terms, translated).
QUOTE_PDF_COMPANY_NAME = _env("QUOTE_PDF_COMPANY_NAME", "Dossier")
QUOTE_PDF_COMPANY_DETAILS = _env("QUOTE_PDF_COMPANY_DETAILS", "")
QUOTE_PDF_TERMS = _env("QUOTE_PDF_TERMS", "")
# The roles whose members add and change products (names, list and floor prices); others only read them.
PRODUCT_CATALOGUE_ROLES = _env_list("PRODUCT_CATALOGUE_ROLES", ["admin"])
# The roles whose members read every rep's work log (visits, calls, notes, reminders); everyone reads their own.
WORKLOG_READER_ROLES = _env_list("WORKLOG_READER_ROLES", ["admin"])
# Campaigns, leads, expenses (M1): the roles that start campaigns and record leads. (Expenses are decided by
# the submitter's team manager, policy/marketing.py, or an administrator; nobody decides their own.)
MARKETING_ROLES = _env_list("MARKETING_ROLES", ["admin", "sales"])
# Import (I1): who may run import_records / import_documents and the import wizard; the largest file the
# wizard takes (bytes).
IMPORT_ROLES = _env_list("IMPORT_ROLES", ["admin"])
IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 50 * 1024**2)

# --- Service levels and compliance alerts (N2, issue 17) ----------------------------------------------
# Who hears about a service-level breach and a dispatch the engineer has not confirmed: these usernames
# (active staff), or every active administrator when none is named or active.
SERVICE_MANAGERS = _env_list("SERVICE_MANAGERS", [])
# A dispatched record the engineer has not confirmed after this many hours goes to the service managers.
SERVICE_DISPATCH_CONFIRM_HOURS = max(1, _env_int("SERVICE_DISPATCH_CONFIRM_HOURS", 4))
SERVICE_LEVEL_SCAN_SECONDS = max(30, _env_int("SERVICE_LEVEL_SCAN_SECONDS", 300))
# One escalation pass handles at most SERVICE_LEVEL_ESCALATIONS_PER_PASS records (oldest due first), in
# transactions of SERVICE_LEVEL_ESCALATION_BATCH; when more are due, the task queues the next pass at once,
# so a backlog is caught up in short passes without waiting for the beat.
SERVICE_LEVEL_ESCALATIONS_PER_PASS = max(1, _env_int("SERVICE_LEVEL_ESCALATIONS_PER_PASS", 2000))
SERVICE_LEVEL_ESCALATION_BATCH = max(1, _env_int("SERVICE_LEVEL_ESCALATION_BATCH", 500))
# Compliance alert rules, computed from the audit trail by a beat task every COMPLIANCE_ALERT_SCAN_SECONDS:
# one user downloading at least COMPLIANCE_ALERT_DOWNLOADS files within COMPLIANCE_ALERT_DOWNLOAD_MINUTES;
# at least COMPLIANCE_ALERT_DENIALS refusals of one user within COMPLIANCE_ALERT_DENIAL_MINUTES; secret
# documents read outside COMPLIANCE_WORKING_HOURS (HH:MM-HH:MM, display time zone) on
# COMPLIANCE_WORKING_DAYS (ISO weekdays, 1 = Monday); no signed audit checkpoint for
# COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS. Each goes to the compliance officers once.
COMPLIANCE_ALERT_SCAN_SECONDS = max(30, _env_int("COMPLIANCE_ALERT_SCAN_SECONDS", 300))
COMPLIANCE_ALERT_DOWNLOADS = max(2, _env_int("COMPLIANCE_ALERT_DOWNLOADS", 50))
COMPLIANCE_ALERT_DOWNLOAD_MINUTES = max(1, _env_int("COMPLIANCE_ALERT_DOWNLOAD_MINUTES", 10))
COMPLIANCE_ALERT_DENIALS = max(2, _env_int("COMPLIANCE_ALERT_DENIALS", 5))
COMPLIANCE_ALERT_DENIAL_MINUTES = max(1, _env_int("COMPLIANCE_ALERT_DENIAL_MINUTES", 10))
COMPLIANCE_WORKING_HOURS = _env("COMPLIANCE_WORKING_HOURS", "08:00-19:00")
COMPLIANCE_WORKING_DAYS = [int(day) for day in _env_list("COMPLIANCE_WORKING_DAYS", ["1", "2", "3", "4", "5"])]
COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS = _env_int("COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS",
                                                 3 * AUDIT_CHECKPOINT_SECONDS)
# How often the scan reads the checkpoints to look for a missing one (it reads every checkpoint record).
COMPLIANCE_CHECKPOINT_CHECK_SECONDS = max(0, _env_int("COMPLIANCE_CHECKPOINT_CHECK_SECONDS", 3600))
CELERY_BEAT_SCHEDULE["service-levels-escalate"] = {"task": "crm.service_levels_escalate",
                                                   "schedule": float(SERVICE_LEVEL_SCAN_SECONDS)}
CELERY_BEAT_SCHEDULE["compliance-alerts-scan"] = {"task": "audit.compliance_alerts_scan",
                                                  "schedule": float(COMPLIANCE_ALERT_SCAN_SECONDS)}
# The beat also verifies the whole chain this often (0: never); a failure alerts the compliance officers.
COMPLIANCE_VERIFY_SECONDS = max(0, _env_int("COMPLIANCE_VERIFY_SECONDS", 24 * 3600))
if COMPLIANCE_VERIFY_SECONDS:
    CELERY_BEAT_SCHEDULE["audit-verify"] = {"task": "audit.verify", "schedule": float(COMPLIANCE_VERIFY_SECONDS)}

# --- Mail intake (M, issue 18; backend/intake/) ------------------------------------------------------------
# The mailbox the worker polls: imap://user:password@host:port/INBOX or imaps://... (blank: no intake). Each new
# message becomes documents (the message as .eml, each attachment its own document) linked to the customer whose
# contact's address (or, failing that, domain) sent it and to the quote or order whose number is in the subject;
# the rest wait in the intake queue (/intake/) for staff to assign them.
MAIL_INTAKE_URL = _env("MAIL_INTAKE_URL", "")
# For imaps://: the certificates to trust, a PEM file (blank: the system's); the host name is always checked.
MAIL_INTAKE_CA_FILE = _env("MAIL_INTAKE_CA_FILE", "")
MAIL_INTAKE_POLL_SECONDS = max(15, _env_int("MAIL_INTAKE_POLL_SECONDS", 120))
# After a message is recorded: move it to this folder (blank: only mark it \Seen and leave it in place).
MAIL_INTAKE_DONE_FOLDER = _env("MAIL_INTAKE_DONE_FOLDER", "")
# Who owns the documents of a message: the owner of the quote/order its subject names, else the customer's owner;
# when that user is inactive, this account (a username; blank: the message waits in the queue instead).
MAIL_INTAKE_USER = _env("MAIL_INTAKE_USER", "")
MAIL_INTAKE_CLASSIFICATION = _env("MAIL_INTAKE_CLASSIFICATION", "internal")
# Each attachment is checked like an upload (type sniffed from the content, UPLOAD_ALLOWED_TYPES) and against this
# size; a whole message above MAIL_INTAKE_MAX_MESSAGE_BYTES is recorded and queued, never fetched in full twice.
MAIL_INTAKE_MAX_ATTACHMENT_BYTES = max(1, _env_int("MAIL_INTAKE_MAX_ATTACHMENT_BYTES", 50 * 1024**2))
MAIL_INTAKE_MAX_MESSAGE_BYTES = max(1024, _env_int("MAIL_INTAKE_MAX_MESSAGE_BYTES", 100 * 1024**2))
# A sender's domain matches a customer when exactly one customer has contacts at it, never for public mail domains.
MAIL_INTAKE_PUBLIC_DOMAINS = _env_list("MAIL_INTAKE_PUBLIC_DOMAINS", [
    "gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "qq.com", "foxmail.com", "163.com",
    "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com", "aliyun.com", "139.com",
])
# Who works the intake queue (policy/intake.py): these roles.
MAIL_INTAKE_QUEUE_ROLES = _env_list("MAIL_INTAKE_QUEUE_ROLES", ["admin", "sales", "service"])
if MAIL_INTAKE_URL:
    CELERY_BEAT_SCHEDULE["mail-intake-poll"] = {"task": "intake.poll_mailbox",
                                                "schedule": float(MAIL_INTAKE_POLL_SECONDS)}

# --- Retention and disposal review (T2, issue 17; backend/documents/retention.py) ---------------------------
# The beat recomputes every document's disposal date from its retention policy and the CRM this often, and
# puts the documents whose day has come in compliance's disposal review (idempotent).
RETENTION_REFRESH_SECONDS = max(60, _env_int("RETENTION_REFRESH_SECONDS", 6 * 3600))
CELERY_BEAT_SCHEDULE["retention-refresh"] = {"task": "documents.retention_refresh",
                                             "schedule": float(RETENTION_REFRESH_SECONDS)}

# --- Reports (R1, issue 16; backend/crm/selectors/reports.py) ---------------------------------------------
# The reports page lists the customers without a visit, call or e-mail for this many days (the page's
# "not contacted for" field changes it per request).
REPORT_NOT_CONTACTED_DAYS = max(1, _env_int("REPORT_NOT_CONTACTED_DAYS", 30))
# The one currency the reports' charts convert into, at the rates staff keep on /reports/rates/
# (CurrencyRate); a currency with no rate on the day stays on its own scale.
REPORTING_CURRENCY = os.environ.get("REPORTING_CURRENCY", "CNY").strip().upper() or "CNY"
