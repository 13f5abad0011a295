"""The document object store of this deployment, named by settings: built on first use, cached.

`storage` builds a store from a URL and knows nothing of Django; this module reads STORAGE_URL and
the server-side encryption settings (STORAGE_SSE, STORAGE_SSE_C_KEY).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from storage import ObjectStore, store_from_url


@lru_cache(maxsize=8)
def _store_for(url: str, sse: str, sse_c_key: str) -> ObjectStore:
    return store_from_url(url, sse=sse, sse_c_key_b64=sse_c_key)


def object_store() -> ObjectStore:
    """The document object store named by settings.STORAGE_URL."""
    return _store_for(settings.STORAGE_URL, settings.STORAGE_SSE, settings.STORAGE_SSE_C_KEY)
