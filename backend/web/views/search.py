"""Search: results with highlighted snippets, facets with counts, every filter in the URL."""

from __future__ import annotations

import datetime as dt

from django.http import JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
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
from indexing import query as search_query_language
from indexing import saved_searches
from indexing import search as search_services
from indexing.grouped import GROUPS, grouped_lookup
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


GROUP_TITLES = {
    "documents": gettext_lazy("Documents"),
    "customers": gettext_lazy("Customers"),
    "contacts": gettext_lazy("Contacts"),
    "quotes": gettext_lazy("Quotes"),
    "orders": gettext_lazy("Orders"),
    "opportunities": gettext_lazy("Opportunities"),
    "articles": gettext_lazy("Knowledge articles"),
}
SUGGESTIONS_PER_GROUP = 5


def _row_url(row) -> str:
    """Where a grouped row opens: documents and quotes their page; other CRM rows their customer's page, at
    their panel."""
    if row.kind == "documents":
        return reverse("web:document", args=[row.id])
    if row.kind == "articles":
        return reverse("api-article-detail", args=[row.id])
    if row.kind == "quotes":
        return reverse("web:quote", args=[row.id])
    anchor = {"contacts": "#contacts", "quotes": "#quotes", "orders": "#orders", "opportunities": "#deals"}
    return reverse("web:customer", args=[row.customer_id]) + anchor.get(row.kind, "")


def _groups_for_page(groups) -> list[dict]:
    return [{"kind": group.kind, "title": str(GROUP_TITLES[group.kind]), "total": group.total,
             "unavailable": group.unavailable,
             "rows": [{"label": row.label, "detail": row.detail, "url": _row_url(row)} for row in group.rows]}
            for group in groups]


def _explanations(q: str) -> list[str]:
    """Sentences saying what each searched word matched (a lone Han character anywhere, every form of a word)."""
    try:
        parsed = search_query_language.parse(q)
    except search_query_language.QuerySyntaxError:
        return []
    out = []
    for item in search_query_language.explain(parsed):
        if item.kind == "character":
            out.append(_("“%(char)s” matched wherever the character stands, inside longer words too.")
                       % {"char": item.text})
        elif item.kind == "stem":
            out.append(_("“%(word)s” matched every form of “%(stem)s” (plural, -ing, -ed).")
                       % {"word": item.text, "stem": item.stem})
    return out


@staff_page
@require_GET
def suggest(request):
    """The header box's dropdown: a few matches of each kind, grouped, as JSON."""
    q = request.GET.get("q", "")
    groups = grouped_lookup(user=request.user, q=q, per_group=SUGGESTIONS_PER_GROUP)
    response = JsonResponse({"groups": _groups_for_page(groups),
                             "search_url": reverse("web:search") + "?" + _encode({"q": q})},
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


def _encode(values: dict) -> str:
    copy = QueryDict(mutable=True)
    for name, value in values.items():
        copy[name] = value
    return copy.urlencode()


@staff_page
@require_POST
def saved_search_save(request):
    from backend.ui.errors import report_outcome

    name = request.POST.get("name", "")
    params = request.POST.get("params", "")
    report_outcome(request, lambda: saved_searches.saved_search_save(
        actor=request.user, name=name, query_string=params) and _("Search saved as “%(name)s”.") % {"name": name.strip()})
    return redirect(reverse("web:search") + ("?" + saved_searches.clean_params(params) if params else ""))


@staff_page
@require_POST
def saved_search_delete(request, saved_search_id: int):
    saved = saved_searches.saved_search_get(user=request.user, saved_search_id=saved_search_id)  # 404 if not own
    name = saved.name
    saved_searches.saved_search_delete(actor=request.user, saved_search_id=saved_search_id)
    from django.contrib import messages

    messages.success(request, _("Saved search “%(name)s” deleted.") % {"name": name})
    return redirect("web:search")


def _saved_for_page(user) -> list[dict]:
    return [{"id": saved.pk, "name": saved.name, "url": reverse("web:search") + "?" + saved.params}
            for saved in saved_searches.saved_search_list(user=user)]


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
               "errors": {}, "error": "", "chips": [], "saved_searches": _saved_for_page(request.user),
               "save_params": saved_searches.clean_params(params.urlencode())}
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
        counts = search_selectors.search_counts(
            user=request.user, q=data["q"],
            filter_sets=[_filters(data, today - dt.timedelta(days=days - 1), None) for _key, _label, days in DATE_BUCKETS])
        date_counts = [{"key": key, "label": label, "count": count, "days": days,
                        "from": (today - dt.timedelta(days=days - 1)).isoformat()}
                       for (key, label, days), count in zip(DATE_BUCKETS, counts)]
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
    other_groups = []
    if data["q"] and page.page == 1:  # the other kinds that match, above the documents
        other_groups = _groups_for_page(grouped_lookup(
            user=request.user, q=data["q"], per_group=SUGGESTIONS_PER_GROUP,
            kinds=tuple(kind for kind in GROUPS if kind != "documents")))
    first = (page.page - 1) * page.page_size + 1 if page.results else 0
    context.update({
        "page": page,
        "rows": [{"hit": row, "customers": customers.get(row.version.document_id, []),
                  "is_valid": row.version.document.valid_version_id == row.version.pk} for row in page.results],
        "facets": facets,
        "other_groups": other_groups,
        "explanations": _explanations(data["q"]),
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
