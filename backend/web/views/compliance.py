"""The compliance console (compliance role only; everyone else gets a 404).

The audit log with filters kept in the URL, keyset pages (no total count), event detail, streamed
CSV/JSON exports of any filtered view, the hash-chain verification, "what did this person access
between these dates" and "who opened this document, who can access it, and why".

People, documents and customers are chosen by name (backend/web/compliance_forms.py; the pickers at
/compliance/pick/<kind>/); every event shows its translated label and links to what it names; every
time is shown in one zone with its offset (backend/common/display_time.py).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backend.access import services as access_services
from backend.audit import console
from backend.audit.events import all_event_types
from backend.common.display_time import display_today, display_zone, offset_text
from backend.common.errors import NotFound
from backend.common.file_response import file_response
from backend.accounts.models import User
from backend.crm.models import Customer
from backend.ui.errors import message_for
from backend.web import services
from backend.web.compliance_forms import AuditFilterForm, DocumentAccessForm, UserAccessForm
from backend.web.console_names import KINDS, LOOKUPS
from backend.web.pages import compliance_page, int_or_none
from backend.web.templatetags.dossier_ui import id_url

PICK_LIMIT = 20


def _event_types() -> list[tuple[str, str]]:
    """The action filter's choices: every type shown by its label in the reader's language (in name order,
    so that related actions stay together)."""
    return [(event.name, event.display) for event in all_event_types()]


def _filters_from(form: AuditFilterForm) -> console.AuditFilters:
    data = form.cleaned_data
    event_types = (data["action"],) if data.get("action") else ()
    if not event_types and data.get("scope") == "access":
        event_types = console.ACCESS_EVENT_TYPES
    return console.AuditFilters(
        actor_id=data.get("user"),
        document_id=data.get("document"),
        customer_id=data.get("customer"),
        event_types=event_types,
        outcome=data.get("outcome") or "",
        ip=data.get("ip") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


def _query(form, *, drop=("before",)) -> str:
    """The form's filters as a query string (ids for the named filters, as resolved), for pages and exports."""
    return urlencode([(key, value) for key, values in form.data.lists() for value in values
                      if key not in drop and value])


def _verification() -> dict:
    last = console.last_chain_verification()
    return {"last": last, "newer": console.events_since(last.id) if last else None}


def _zone() -> dict:
    from django.conf import settings
    from django.utils import timezone

    return {"zone_name": settings.DISPLAY_TIME_ZONE, "zone_offset": offset_text(timezone.now())}


# --- what each event names, as links ------------------------------------------------------------------

_CUSTOMER_SECTIONS = {"crm.quote": "quotes", "crm.order": "orders", "crm.invoice": "orders", "crm.payment": "orders",
                      "crm.opportunity": "deals", "crm.contact": "contacts"}


def _user_access_url(actor_id) -> str:
    return f"{reverse('web:audit_user_access')}?{urlencode({'user': actor_id})}"


def _document_trail_url(document_id) -> str:
    return f"{reverse('web:audit_document_access')}?{urlencode({'document': document_id})}"


def _target_url(event, customer_id) -> str:
    kind, target = event.target_type, event.target_id
    if not target or not str(target).isdigit():
        return id_url(customer_id, "web:customer") if kind in _CUSTOMER_SECTIONS and customer_id else ""
    if kind == console.DOCUMENT_TARGET:
        return id_url(target, "web:document")
    if kind == "crm.customer":
        return id_url(target, "web:customer")
    if kind == "crm.servicerecord":
        return id_url(target, "web:service_record")
    if kind in ("accounts.user",):
        return _user_access_url(target)
    if kind in _CUSTOMER_SECTIONS and customer_id:
        return id_url(customer_id, "web:customer") + "#" + _CUSTOMER_SECTIONS[kind]
    return ""


def people_names(actor_ids) -> dict[int, str]:
    """The people's names as they read now ("陈静 (chen.jing)"), by id: one primary-key query."""
    ids = {pk for pk in actor_ids if pk}
    if not ids:
        return {}
    return {user.pk: (f"{user} ({user.username})" if str(user) != user.username else user.username)
            for user in User.objects.filter(pk__in=ids).only("id", "username", "display_name", "first_name",
                                                              "last_name")}


def linked_events(events, *, people: dict[int, str] | None = None) -> list:
    """Each event with links to what it names: the person's access page, the target, the customer (one
    query for the people's names unless the caller has them in `people`, one for the customers')."""
    customer_ids = {e.customer_id for e in events if e.customer_id}
    names = dict(Customer.objects.filter(pk__in=customer_ids).values_list("id", "name")) if customer_ids else {}
    if people is None:
        people = people_names(e.actor_id for e in events)
    # each person's and document's page URL once per page, not reversed again for every event
    actor_urls = {pk: _user_access_url(pk) for pk in people.keys() | {e.actor_id for e in events if e.actor_id}}
    trail_urls: dict = {}
    for event in events:
        event.actor_name = people.get(event.actor_id) or event.actor_label
        event.actor_url = actor_urls[event.actor_id] if event.actor_id else ""
        event.target_url = _target_url(event, event.customer_id)
        if event.target_type == console.DOCUMENT_TARGET and str(event.target_id).isdigit():
            if event.target_id not in trail_urls:
                trail_urls[event.target_id] = _document_trail_url(event.target_id)
            event.trail_url = trail_urls[event.target_id]
        else:
            event.trail_url = ""
        event.customer_name = names.get(event.customer_id, f"#{event.customer_id}" if event.customer_id else "")
        event.customer_url = id_url(event.customer_id, "web:customer") if event.customer_id in names else ""
    return events


# --- the pages ----------------------------------------------------------------------------------------


@compliance_page
@require_GET
def pick(request, kind: str):
    """The console's pickers (the JSON of the picker contract): every person including portal users,
    every document (compliance reviews any document's access), the customers the reader may see."""
    if kind not in KINDS:
        raise Http404()
    rows = LOOKUPS[kind](request.user, request.GET.get("q", ""))[:PICK_LIMIT]
    response = JsonResponse({"results": [row.as_json() for row in rows]}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


@compliance_page
@require_GET
def audit_log(request):
    form = AuditFilterForm(request.GET, actor=request.user, event_types=_event_types())
    page = None
    status = 200
    if form.is_valid():
        page = console.audit_event_page(filters=_filters_from(form), before=int_or_none(request.GET.get("before")))
        linked_events(page.events)
    else:
        status = 400
    return render(request, "web/compliance/log.html", {
        "section": "compliance", "tab": "log", "form": form, "page": page, "query": _query(form),
        "verification": _verification(), **_zone(),
    }, status=status)


@compliance_page
@require_GET
def event_detail(request, event_id: int):
    event = console.audit_event_get(event_id=event_id)
    if event is None:
        raise NotFound()
    linked_events([event])
    previous, following = console.audit_event_neighbours(event=event)
    return render(request, "web/compliance/event.html", {
        "section": "compliance", "tab": "log", "event": event, "previous": previous, "following": following,
        "is_document": bool(event.trail_url), **_zone(),
    })


def _export(request, export_format: str):
    form = AuditFilterForm(request.GET, actor=request.user, event_types=_event_types())
    if not form.is_valid():
        return render(request, "web/compliance/log.html", {
            "section": "compliance", "tab": "log", "form": form, "page": None, "query": _query(form),
            "verification": _verification(), **_zone()}, status=400)
    filters = _filters_from(form)
    services.audit_export_record(actor=request.user, export_format=export_format, filters=filters.as_dict())
    stamp = dt.datetime.now(tz=display_zone()).strftime("%Y%m%d-%H%M%S")
    if export_format == "csv":
        chunks, content_type = console.audit_export_csv(filters=filters), "text/csv; charset=utf-8"
    else:
        chunks, content_type = console.audit_export_json(filters=filters), "application/json; charset=utf-8"
    return file_response(chunks, content_type=content_type, filename=f"audit-{stamp}.{export_format}")


@compliance_page
@require_GET
def export_csv(request):
    return _export(request, "csv")


@compliance_page
@require_GET
def export_json(request):
    return _export(request, "json")


@compliance_page
@require_POST
def verify_chain(request):
    result = services.audit_chain_verify_now(actor=request.user)
    if result.ok:
        messages.success(request, _("The audit chain is intact: %(count)s events checked.") % {"count": result.checked})
    else:
        messages.error(request, _("The audit chain is BROKEN at event #%(id)s: %(reason)s") % {
            "id": result.first_bad_id, "reason": result.reason})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/compliance/") or back == "/" else "web:audit_log")


_PERIODS = (("today", gettext_lazy("Today")), ("week", gettext_lazy("This week")),
            ("7days", gettext_lazy("Last 7 days")), ("month", gettext_lazy("This month")))


def _period(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if name == "today":
        return today, today
    if name == "week":  # weeks start on Monday
        return today - dt.timedelta(days=today.weekday()), today
    if name == "7days":
        return today - dt.timedelta(days=6), today
    return today.replace(day=1), today


def _period_links(form) -> list[dict]:
    """Quick periods ("this week") that keep the person or document chosen."""
    today = display_today()
    keep = [(key, value) for key, value in form.data.items()
            if key not in ("date_from", "date_to", "before") and value]
    links = []
    for name, label in _PERIODS:
        start, end = _period(name, today)
        links.append({"label": label, "url": "?" + urlencode(keep + [("date_from", start.isoformat()),
                                                                     ("date_to", end.isoformat())]),
                      "active": form.data.get("date_from") == start.isoformat()
                      and form.data.get("date_to") == end.isoformat()})
    return links


def _exports(form, scope_filters: dict) -> dict:
    params = [(key, value) for key, value in form.data.items()
              if key in ("user", "document", "date_from", "date_to") and value]
    query = urlencode(params + [("scope", "access")] + list(scope_filters.items()))
    return {"csv": f"{reverse('web:audit_export_csv')}?{query}", "json": f"{reverse('web:audit_export_json')}?{query}"}


@compliance_page
@require_GET
def user_access(request):
    form = UserAccessForm(request.GET or None, actor=request.user)
    summary = None
    if form.is_bound and form.is_valid():
        summary = console.user_access_summary(
            actor_id=form.cleaned_data["user"], date_from=form.cleaned_data.get("date_from"),
            date_to=form.cleaned_data.get("date_to"), before=int_or_none(request.GET.get("before")))
        for target in summary.targets:
            target["url"] = _target_url(_TargetRow(target), None)
            target["trail_url"] = (_document_trail_url(target["target_id"])
                                   if target["target_type"] == console.DOCUMENT_TARGET else "")
        linked_events(summary.page.events)
    return render(request, "web/compliance/user_access.html", {
        "section": "compliance", "tab": "user", "form": form, "summary": summary,
        "person": form.chosen.get("user") if form.is_bound else None,
        "query": _query(form) if form.is_bound else "", "periods": _period_links(form) if form.is_bound else [],
        "exports": _exports(form, {}) if summary else None, **_zone(),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


class _TargetRow:
    """A grouped target row seen as an event, for _target_url."""

    def __init__(self, row: dict):
        self.target_type, self.target_id = row["target_type"], row["target_id"]


@compliance_page
@require_GET
def document_access(request):
    form = DocumentAccessForm(request.GET or None, actor=request.user)
    rules = summary = document = None
    if form.is_bound and form.is_valid():
        document_id = form.cleaned_data["document"]
        try:
            rules = access_services.document_access_list(actor=request.user, document_id=document_id)
        except NotFound as exc:
            form.add_error("document_q", message_for(exc))
        else:
            document = form.chosen["document"]
            summary = console.document_access_summary(
                document_id=document_id, actor_id=form.cleaned_data.get("user"),
                date_from=form.cleaned_data.get("date_from"), date_to=form.cleaned_data.get("date_to"),
                before=int_or_none(request.GET.get("before")))
            # the names of the people listed and of the events' actors in one query
            people = people_names([p["actor_id"] for p in summary.people]
                                  + [e.actor_id for e in summary.page.events])
            for event in linked_events(summary.page.events, people=people):
                event.trail_url = ""  # this page is the document's access log
            customer_ids = {p["customer_id"] for p in summary.people if p["customer_id"]}
            names = dict(Customer.objects.filter(pk__in=customer_ids).values_list("id", "name")) if customer_ids else {}
            for person in summary.people:
                person["name"] = people.get(person["actor_id"]) or person["actor_label"]
                person["url"] = _user_access_url(person["actor_id"]) if person["actor_id"] else ""
                person["customer_name"] = names.get(person["customer_id"], "")
    return render(request, "web/compliance/document_access.html", {
        "section": "compliance", "tab": "document", "form": form, "rules": rules, "summary": summary,
        "document": document, "query": _query(form) if form.is_bound else "",
        "periods": _period_links(form) if form.is_bound else [],
        "exports": _exports(form, {}) if summary else None, **_zone(),
    }, status=400 if form.is_bound and form.errors else 200)
