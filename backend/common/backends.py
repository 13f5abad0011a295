"""Backends chosen by settings, built lazily on first use and cached per configuration."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from storage import ObjectStore, store_from_url

if TYPE_CHECKING:
    from indexing.backends import SearchBackend


@lru_cache(maxsize=8)
def _store_for(url: str, sse: str, sse_c_key: str) -> ObjectStore:
    return store_from_url(url, sse=sse, sse_c_key_b64=sse_c_key)


def object_store() -> ObjectStore:
    """The document object store named by settings.STORAGE_URL."""
    return _store_for(settings.STORAGE_URL, settings.STORAGE_SSE, settings.STORAGE_SSE_C_KEY)


@lru_cache(maxsize=8)
def _search_backend_for(url: str, snippet_source_chars: int) -> "SearchBackend":
    from indexing.backends import backend_from_url

    return backend_from_url(url, snippet_source_chars=snippet_source_chars)


def search_backend() -> "SearchBackend":
    """The search engine named by settings.SEARCH_URL (built on first use, cached per URL)."""
    return _search_backend_for(settings.SEARCH_URL, settings.SEARCH_SNIPPET_SOURCE_CHARS)


def article_search_backend() -> "SearchBackend":
    """The collection of knowledge articles, beside the documents' index on the same engine."""
    from indexing.backends import collection_url

    return _search_backend_for(collection_url(settings.SEARCH_URL, "articles"), settings.SEARCH_SNIPPET_SOURCE_CHARS)
