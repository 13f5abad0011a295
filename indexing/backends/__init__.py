"""Search backends, chosen by URL: tantivy:///abs/path (embedded) or opensearch://host:9200[/index]."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from indexing.backends.base import (
    FacetBucket, Hit, IndexDoc, IndexStats, InvalidSearch, SearchBackend, SearchFilters, SearchRequest,
    SearchResult, SearchUnavailable,
)

__all__ = [
    "FacetBucket", "Hit", "IndexDoc", "IndexStats", "InvalidSearch", "SearchBackend", "SearchFilters",
    "SearchRequest", "SearchResult", "SearchUnavailable", "backend_from_url", "collection_url",
]


def collection_url(url: str, collection: str) -> str:
    """The URL of a sibling collection next to the main index (e.g. knowledge articles).

    tantivy:///data/search -> tantivy:///data/search-articles;
    opensearch://host:9200/dossier?tls=1 -> opensearch://host:9200/dossier-articles?tls=1.
    """
    parts = urlsplit(url)
    base = parts.path.rstrip("/")
    if parts.scheme.startswith("opensearch"):
        from indexing.backends.opensearch import DEFAULT_INDEX

        base = "/" + (base.strip("/") or DEFAULT_INDEX)
    # Spelled out: SplitResult.geturl() drops the empty authority, turning tantivy:///x into tantivy:/x.
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{base}-{collection}{query}"


def backend_from_url(url: str, **options) -> SearchBackend:
    """A backend for `url`. Option: snippet_source_chars (how much of a text snippets are cut from)."""
    scheme = urlsplit(url).scheme
    if scheme == "tantivy":
        from indexing.backends.tantivy import TantivyBackend

        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise ValueError(f"SEARCH_URL must name an absolute path: tantivy:///abs/path, got {url!r}")
        return TantivyBackend(path, snippet_source_chars=options.get("snippet_source_chars", 200_000))
    if scheme in ("opensearch", "opensearchs"):
        from indexing.backends.opensearch import OpenSearchBackend

        if scheme == "opensearchs":
            url = "opensearch" + url[len("opensearchs") :] + ("&" if "?" in url else "?") + "tls=1"
        return OpenSearchBackend(url, snippet_source_chars=options.get("snippet_source_chars", 200_000))
    raise ValueError(f"Unknown SEARCH_URL scheme {scheme!r}: use tantivy:///abs/path or opensearch://host:9200")
