"""Saved searches: a user's own named searches (query and filters), seen by nobody else.

Reads and writes take the acting user and only ever touch that user's rows: another user's saved
search is missing (NotFound, a 404), exactly like one that does not exist. Saving one's own search
is not audited (it reveals nothing and changes no access); running it is an ordinary, audited search.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils.translation import gettext as _

from backend.access.policy import is_active_staff
from backend.common.errors import InvalidInput, NotFound
from indexing.models import SavedSearch

MAX_PER_USER = 50
# The search page's parameters worth keeping (page is not: a saved search starts at the top).
KEPT_PARAMS = ("q", "kind", "customer", "classification", "status", "file_type", "date_from", "date_to",
               "all_versions", "sort")


def clean_params(query_string: str) -> str:
    """The kept parameters of a search page's query string, in a stable order."""
    pairs = [(name, value) for name, value in parse_qsl(query_string or "", keep_blank_values=False)
             if name in KEPT_PARAMS and value]
    return urlencode(sorted(pairs, key=lambda pair: KEPT_PARAMS.index(pair[0])))[:2000]


def saved_search_list(*, user) -> list[SavedSearch]:
    if not is_active_staff(user):
        return []
    return list(SavedSearch.objects.filter(owner=user))


def saved_search_get(*, user, saved_search_id: int) -> SavedSearch:
    found = SavedSearch.objects.filter(owner=user, pk=saved_search_id).first() if is_active_staff(user) else None
    if found is None:
        raise NotFound("No such saved search.")
    return found


@transaction.atomic
def saved_search_save(*, actor, name: str, query_string: str) -> SavedSearch:
    """Save (or, under a name already used, replace) the search in `query_string` for `actor`."""
    if not is_active_staff(actor):
        raise NotFound("No such saved search.")
    name = (name or "").strip()[:100]
    if not name:
        raise InvalidInput(_("Give the search a name."), fields={"name": [_("Give the search a name.")]})
    params = clean_params(query_string)
    if not params:
        raise InvalidInput(_("There is nothing to save: search for something or choose a filter first."),
                           fields={"name": [_("There is nothing to save.")]})
    existing = SavedSearch.objects.select_for_update().filter(owner=actor, name=name).first()
    if existing is not None:
        existing.params = params
        existing.save(update_fields=["params"])
        return existing
    if SavedSearch.objects.filter(owner=actor).count() >= MAX_PER_USER:
        raise InvalidInput(_("You have %(count)d saved searches already: delete one first.") % {"count": MAX_PER_USER},
                           fields={"name": [_("Too many saved searches.")]})
    return SavedSearch.objects.create(owner=actor, name=name, params=params)


@transaction.atomic
def saved_search_delete(*, actor, saved_search_id: int) -> None:
    saved_search_get(user=actor, saved_search_id=saved_search_id).delete()
