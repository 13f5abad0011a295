"""Search: results with highlighted snippets, facets with counts, every filter in the URL."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from backend.documents.models import Classification, DocumentKind, VersionStatus
from backend.ui.errors import Refusal
from backend.web.pages import staff_page
from backend.web.selectors import customers_for_documents
from backend.web.templatetags.dossier_ui import mime_label
from indexing import selectors as search_selectors
from indexing.api.serializers import FILE_TYPES, SearchQueryInput
from indexing import search as search_services
from indexing.backends import SearchFilters

PAGE_SIZE = 20
FACETS = ("kind", "customer", "classification", "status", "file_type")
FACET_TITLES = {
    "kind": gettext_lazy("Kind"),
    "customer": gettext_lazy("Customer"),
    "classification": gettext_lazy("Classification"),
    "status": gettext_lazy("Version status"),
    "file_type": gettext_lazy("File type"),
}
# The URL parameter each facet filters with.
FACET_PARAMS = {"kind": "kind", "customer": "customer", "classification": "classification", "status": "status",
                "file_type": "file_type"}
DATE_BUCKETS = (
    ("7", gettext_lazy("Past 7 days"), 7),
    ("30", gettext_lazy("Past 30 days"), 30),
    ("365", gettext_lazy("Past 12 months"), 365),
)
_MIME_TO_SHORT = {mime: short for short, mime in FILE_TYPES.items()}


def _filters(data: dict, date_from: dt.date | None, date_to: dt.date | None) -> SearchFilters:
    start, end = search_selectors.local_day_bounds(date_from, date_to)
    return SearchFilters(
        kinds=tuple(data["kind"]), classifications=tuple(data["classification"]), statuses=tuple(data["status"]),
        mime_types=tuple(data["file_type"]), customer_ids=tuple(data["customer"]),
        date_from=start, date_to=end, all_versions=data["all_versions"],
    )


def _toggle_url(params: QueryDict, name: str, value: str) -> str:
    """The current URL with `name=value` switched on or off (and back to page 1)."""
    copy = params.copy()
    copy.pop("page", None)
    values = [v for item in copy.getlist(name) for v in item.split(",") if v]
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    if values:
        copy.setlist(name, values)
    else:
        copy.pop(name, None)
    encoded = copy.urlencode()
    return f"?{encoded}" if encoded else "?"


def _without(params: QueryDict, *names: str) -> str:
    copy = params.copy()
    for name in (*names, "page"):
        copy.pop(name, None)
    encoded = copy.urlencode()
    return f"?{encoded}" if encoded else "?"


def _with(params: QueryDict, **values) -> str:
    copy = params.copy()
    for name, value in values.items():
        copy[name] = str(value)
    return f"?{copy.urlencode()}"


@staff_page
@require_GET
def search(request):
    params = request.GET
    serializer = SearchQueryInput(data=params)
    context = {"section": "search", "search_query": params.get("q", ""), "page": None, "facets": [],
               "errors": {}, "error": "", "chips": []}
    if not serializer.is_valid():
        context["errors"] = {name: [str(m) for m in messages] for name, messages in serializer.errors.items()}
        context["error"] = _("Some filters could not be read; they are marked below.")
        return render(request, "web/search.html", context, status=400)
    data = serializer.validated_data
    with Refusal(passing=()) as refusal:
        page = search_services.document_search(  # the audited search; the date counts below are not shown rows
            actor=request.user, q=data["q"], filters=_filters(data, data["date_from"], data["date_to"]),
            sort=data["sort"], page=data["page"], page_size=PAGE_SIZE, facets=FACETS)
        today = timezone.localdate()
        date_counts = []
        for key, label, days in DATE_BUCKETS:
            bucket = search_selectors.search_documents(
                user=request.user, q=data["q"], filters=_filters(data, today - dt.timedelta(days=days - 1), None),
                page_size=1, highlight_matches=False)
            date_counts.append({"key": key, "label": label, "count": bucket.total,
                                "days": days, "from": (today - dt.timedelta(days=days - 1)).isoformat()})
    if refusal:
        context["error"] = refusal.message
        context["errors"] = refusal.fields
        return render(request, "web/search.html", context, status=refusal.status)

    selected = {name: {str(v) for v in params.getlist(FACET_PARAMS[name]) for v in v.split(",") if v}
                for name in FACETS}
    facets = []
    for name in FACETS:
        rows = []
        for bucket in page.facets.get(name, []):
            value = str(bucket["value"])
            url_value = _MIME_TO_SHORT.get(value, value) if name == "file_type" else value
            on = url_value in selected[name] or value in selected[name]
            label = mime_label(value) if name == "file_type" else bucket["label"]
            rows.append({"label": label, "count": bucket["count"], "on": on,
                         "url": _toggle_url(params, FACET_PARAMS[name], url_value)})
        facets.append({"name": name, "title": FACET_TITLES[name], "rows": rows})
    date_from_param = params.get("date_from", "")
    for bucket in date_counts:
        bucket["on"] = date_from_param == bucket["from"] and not params.get("date_to")
        bucket["url"] = _without(params, "date_from", "date_to") if bucket["on"] else \
            _with(_params_without_page(params), date_from=bucket["from"])
    customers = customers_for_documents(user=request.user, document_ids={r.version.document_id for r in page.results})
    first = (page.page - 1) * page.page_size + 1 if page.results else 0
    context.update({
        "page": page,
        "rows": [{"hit": row, "customers": customers.get(row.version.document_id, []),
                  "is_valid": row.version.document.valid_version_id == row.version.pk} for row in page.results],
        "facets": facets,
        "date_counts": date_counts,
        "first": first,
        "last": first + len(page.results) - 1 if page.results else 0,
        "prev_url": _with(params, page=page.page - 1) if page.page > 1 else None,
        "next_url": _with(params, page=page.page + 1) if page.page * page.page_size < page.total else None,
        "sort": data["sort"],
        "sort_urls": {name: _with(_params_without_page(params), sort=name) for name in search_selectors.SORTS},
        "all_versions": data["all_versions"],
        "all_versions_url": _without(params, "all_versions") if data["all_versions"] else _with(
            _params_without_page(params), all_versions=1),
        "clear_url": _without(params, "kind", "customer", "classification", "status", "file_type", "date_from",
                              "date_to", "all_versions"),
        "filtered": any(params.get(n) for n in ("kind", "customer", "classification", "status", "file_type",
                                                "date_from", "date_to")),
        "kinds": DocumentKind.choices, "classifications": Classification.choices, "statuses": VersionStatus.choices,
    })
    return render(request, "web/search.html", context)


def _params_without_page(params: QueryDict) -> QueryDict:
    copy = params.copy()
    copy.pop("page", None)
    return copy
