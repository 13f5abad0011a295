"""The search engine of this deployment, named by settings: built on first use, cached per URL.

`indexing.backends` builds a backend from a URL and knows nothing of Django; this module reads
SEARCH_URL (and SEARCH_SNIPPET_SOURCE_CHARS) and hands out the documents' index and, beside it on
the same engine, the knowledge articles' collection.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from indexing.backends import SearchBackend, backend_from_url, collection_url


@lru_cache(maxsize=8)
def _search_backend_for(url: str, snippet_source_chars: int) -> SearchBackend:
    return backend_from_url(url, snippet_source_chars=snippet_source_chars)


def search_backend() -> SearchBackend:
    """The search engine named by settings.SEARCH_URL (built on first use, cached per URL)."""
    return _search_backend_for(settings.SEARCH_URL, settings.SEARCH_SNIPPET_SOURCE_CHARS)


def article_search_backend() -> SearchBackend:
    """The collection of knowledge articles, beside the documents' index on the same engine."""
    return _search_backend_for(collection_url(settings.SEARCH_URL, "articles"), settings.SEARCH_SNIPPET_SOURCE_CHARS)
