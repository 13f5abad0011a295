"""What indexing tests look at and break: the engine's own hits, a version's index state, an engine that cannot open."""

from backend.access.policy import user_principals
from indexing import query
from indexing.backends import SearchFilters, SearchRequest
from indexing.models import VersionIndexState


def engine_hits(backend, user, q=None, **filters) -> set[int]:
    """Document ids the *engine* returns for `user` (no database re-check): the index ACL itself."""
    request = SearchRequest(query=query.parse(q) if q else None, principals=tuple(user_principals(user)),
                            filters=SearchFilters(**filters), limit=100)
    return {hit.document_id for hit in backend.search(request).hits}


def state_of(document) -> VersionIndexState:
    return VersionIndexState.objects.get(version_id=document.valid_version_id)


def break_engine(settings, tmp_path) -> str:
    """Point SEARCH_URL at an index that cannot be opened; returns the good URL."""
    blocker = tmp_path / "engine-down"
    blocker.write_text("not a directory")
    good = settings.SEARCH_URL
    settings.SEARCH_URL = f"tantivy://{blocker}/index"
    return good
