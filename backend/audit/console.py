"""Reads behind the compliance console: filtered pages of the trail, exports, and two questions.

Built to stay fast on tens of millions of rows:

* **Keyset pages, newest first.** A page is ``WHERE <filters> AND id < :cursor ORDER BY id DESC
  LIMIT n + 1``; the extra row only says whether there is a next page. There is no COUNT anywhere:
  counting a filtered view of a large trail costs as much as reading it.
* **Every filter has an index that ends in id** (``audit_actor_idx``, ``audit_target_idx``,
  ``audit_customer_idx``, ``audit_type_idx``, and from migration 0003 ``audit_ip_idx`` and
  ``audit_not_success_idx``), so PostgreSQL walks one index backwards and stops after n + 1 rows,
  however deep the page.
* **Date ranges become id ranges.** ``record()`` allocates ids (head + 1) and stamps ``occurred_at``
  while holding the chain lock, so ids and times rise together. A range of dates is turned into
  the first and last id inside it with two probes of ``audit_time_idx``, and combined with any
  other filter's (column, id) index ("what did this user do in March" reads only that user's March
  rows). The ``occurred_at`` condition is kept as well, so the rows returned are exactly those in
  the range; only a wall clock stepped backwards between two events could hide an event at the
  edge of a range.
* **Exports stream** over ``QuerySet.iterator()`` (a server-side cursor on PostgreSQL), oldest
  first, in constant memory, with each row's hash and previous hash so the slice can be checked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet

from backend.audit.events import (
    AUDIT_CHAIN_VERIFIED,
    DOCUMENT_ACCESS_DENIED,
    DOCUMENT_ACCESS_LISTED,
    DOCUMENT_LIST_SEARCHED,
    DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED,
    DOCUMENT_VERSION_DOWNLOADED,
    DOCUMENT_VERSION_PREVIEWED,
    DOCUMENT_VIEWED,
    all_event_types,
)
from backend.audit.models import AuditEvent, Outcome
from backend.audit.targets import target_display, target_type_label
from backend.common.csv_export import BOM, safe_cell
from backend.common.display_time import day_start, iso_instant
# The event types of the rooms above, by their constants (their modules import only the registry).
from backend.crm.audit_events import (
    CRM_ACCESS_DENIED,
    CRM_CUSTOMER_VIEWED,
    CRM_ORDER_VIEWED,
    CRM_QUOTE_VIEWED,
    CRM_REPORT_EXPORTED,
    PORTAL_ARTICLE_READ,
    PORTAL_ORDER_VIEWED,
    PORTAL_SERVICE_VIEWED,
)
from backend.sharing.audit_events import (
    DOCUMENT_SHARE_LISTED,
    PORTAL_SHARE_DOWNLOADED,
    PORTAL_SHARE_LISTED,
    PORTAL_SHARE_VIEWED,
)
from backend.web.audit_events import AUDIT_LOG_EXPORTED
from indexing.audit_events import SEARCH_PERFORMED

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DOCUMENT_TARGET = "documents.document"
EXPORT_CHUNK = 2000

# What counts as "accessing" something when compliance asks what a person accessed.
ACCESS_EVENT_TYPES = (
    DOCUMENT_VIEWED,
    DOCUMENT_VERSION_PREVIEWED,
    DOCUMENT_VERSION_DOWNLOADED,
    DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED,
    DOCUMENT_ACCESS_LISTED,
    DOCUMENT_ACCESS_DENIED,
    DOCUMENT_LIST_SEARCHED,
    DOCUMENT_SHARE_LISTED,
    SEARCH_PERFORMED,
    CRM_CUSTOMER_VIEWED,
    CRM_QUOTE_VIEWED,
    CRM_ORDER_VIEWED,
    CRM_ACCESS_DENIED,
    CRM_REPORT_EXPORTED,
    AUDIT_LOG_EXPORTED,
    PORTAL_SHARE_LISTED,
    PORTAL_SHARE_VIEWED,
    PORTAL_SHARE_DOWNLOADED,
    PORTAL_ORDER_VIEWED,
    PORTAL_SERVICE_VIEWED,
    PORTAL_ARTICLE_READ,
)
# What counts as a download: the file itself was sent (previews, views and failures are not).
DOWNLOAD_EVENT_TYPES = (DOCUMENT_VERSION_DOWNLOADED, PORTAL_SHARE_DOWNLOADED)
PREVIEW_EVENT_TYPES = (DOCUMENT_VERSION_PREVIEWED,)
SEARCH_EVENT_TYPES = (SEARCH_PERFORMED, DOCUMENT_LIST_SEARCHED)

EXPORT_FIELDS = (
    "id", "occurred_at", "event_type", "outcome", "actor_id", "actor_label", "ip", "user_agent", "request_id",
    "target_type", "target_id", "target_label", "customer_id", "detail", "prev_hash", "hash",
)
# Exports carry, after the stored fields (which the hashes cover), what a reader sees: the event's
# label in the exporter's language. Last, so that the stored fields keep their columns.
EXPORT_COLUMNS = EXPORT_FIELDS + ("event_label",)
_LIST_FIELDS = (
    "id", "occurred_at", "event_type", "outcome", "actor_id", "actor_label", "ip", "target_type", "target_id",
    "target_label", "customer_id",
)


@dataclass(frozen=True)
class AuditFilters:
    """A filtered view of the trail. Empty fields do not filter."""

    actor_id: int | None = None
    document_id: int | None = None
    customer_id: int | None = None
    event_types: tuple[str, ...] = ()
    outcome: str = ""
    ip: str = ""
    date_from: dt.date | None = None  # inclusive, in the display time zone (DISPLAY_TIME_ZONE)
    date_to: dt.date | None = None  # inclusive

    def as_dict(self) -> dict:
        """A JSON-able description (recorded with exports)."""
        return {
            key: value
            for key, value in {
                "user": self.actor_id,
                "document": self.document_id,
                "customer": self.customer_id,
                "action": list(self.event_types),
                "outcome": self.outcome,
                "ip": self.ip,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
            }.items()
            if value not in (None, "", [])
        }


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_cursor: int | None  # pass as `before` for the next (older) page
    filters: AuditFilters
    before: int | None = None
    empty_range: bool = False  # the date range holds no events at all


def _day_start(day: dt.date) -> dt.datetime:
    """Days start at midnight in the zone the console shows times in, so a day is the day on screen."""
    return day_start(day)


def _time_bounds(filters: AuditFilters) -> tuple[dt.datetime | None, dt.datetime | None]:
    start = _day_start(filters.date_from) if filters.date_from else None
    end = _day_start(filters.date_to + dt.timedelta(days=1)) if filters.date_to else None
    return start, end


def _id_bounds(start: dt.datetime | None, end: dt.datetime | None) -> tuple[int | None, int | None] | None:
    """The first and last id recorded in [start, end): two probes of the (occurred_at, id) index.

    None when no event falls in the range.
    """
    low = None if start is None else _edge_id(Q(occurred_at__gte=start), ("occurred_at", "id"))
    high = None if end is None else _edge_id(Q(occurred_at__lt=end), ("-occurred_at", "-id"))
    if (start is not None and low is None) or (end is not None and high is None):
        return None
    if low is not None and high is not None and low > high:
        return None
    return low, high


def _edge_id(condition: Q, order: tuple[str, str]) -> int | None:
    return AuditEvent.objects.filter(condition).order_by(*order).values_list("id", flat=True).first()


def _filtered(filters: AuditFilters) -> QuerySet[AuditEvent] | None:
    """The events matching `filters`, unordered; None when the date range is empty."""
    queryset = AuditEvent.objects.all()
    q = Q()
    if filters.actor_id is not None:
        q &= Q(actor_id=filters.actor_id)
    if filters.document_id is not None:
        q &= Q(target_type=DOCUMENT_TARGET, target_id=str(filters.document_id))
    if filters.customer_id is not None:
        q &= Q(customer_id=filters.customer_id)
    if filters.event_types:
        q &= Q(event_type=filters.event_types[0]) if len(filters.event_types) == 1 else Q(
            event_type__in=filters.event_types)
    if filters.outcome:
        q &= Q(outcome=filters.outcome)
    if filters.ip:
        q &= Q(ip=filters.ip)
    start, end = _time_bounds(filters)
    if start is not None or end is not None:
        bounds = _id_bounds(start, end)
        if bounds is None:
            return None
        low, high = bounds
        if low is not None:
            q &= Q(id__gte=low, occurred_at__gte=start)
        if high is not None:
            q &= Q(id__lte=high, occurred_at__lt=end)
    return queryset.filter(q)


def audit_event_page(*, filters: AuditFilters, before: int | None = None, page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of matching events, newest first, older than event `before` (the cursor)."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    queryset = _filtered(filters)
    if queryset is None:
        return AuditPage(events=[], next_cursor=None, filters=filters, before=before, empty_range=True)
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.order_by("-id").only(*_LIST_FIELDS)[: page_size + 1])
    next_cursor = rows[page_size - 1].id if len(rows) > page_size else None
    return AuditPage(events=rows[:page_size], next_cursor=next_cursor, filters=filters, before=before)


def audit_event_get(*, event_id: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(pk=event_id).first()


def audit_event_neighbours(*, event: AuditEvent) -> tuple[int | None, int | None]:
    """The ids before and after `event` in the chain (two primary-key probes)."""
    previous = AuditEvent.objects.filter(id__lt=event.id).order_by("-id").values_list("id", flat=True).first()
    following = AuditEvent.objects.filter(id__gt=event.id).order_by("id").values_list("id", flat=True).first()
    return previous, following


# --- exports --------------------------------------------------------------------------------------


def audit_export_rows(*, filters: AuditFilters) -> Iterator[tuple]:
    """Every matching event, oldest first, as tuples in EXPORT_FIELDS order — streamed, never held in memory.

    The rows are read inside a transaction: outside one, Django declares the server-side cursor
    WITH HOLD, and PostgreSQL then materialises the whole result before the first row is sent.
    """
    queryset = _filtered(filters)
    if queryset is None:
        return
    with transaction.atomic():
        yield from queryset.order_by("id").values_list(*EXPORT_FIELDS).iterator(chunk_size=EXPORT_CHUNK)


# Rows are written into a buffer and sent in pieces of about this size: one HTTP chunk per row
# would cost more in the server's streaming machinery than writing the row does.
_PIECE = 256 * 1024
_EVENT_TYPE = EXPORT_FIELDS.index("event_type")


def _event_labels() -> dict[str, str]:
    """Every type's label in the active language, read now: the export streams after the view returned."""
    return {item.name: item.display for item in all_event_types()}


def _labelled(row: tuple, labels: dict[str, str]) -> list:
    """A stored row in EXPORT_COLUMNS order: the event's label after the stored fields."""
    return [*row, labels.get(row[_EVENT_TYPE], row[_EVENT_TYPE])]


def audit_export_csv(*, filters: AuditFilters) -> Iterator[bytes]:
    """UTF-8 CSV (with a byte-order mark so spreadsheet programs read Chinese names), one event a line."""
    return _export_csv(filters, _event_labels())


def _export_csv(filters: AuditFilters, labels: dict[str, str]) -> Iterator[bytes]:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(EXPORT_COLUMNS)
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    occurred, detail = EXPORT_COLUMNS.index("occurred_at"), EXPORT_COLUMNS.index("detail")
    for row in audit_export_rows(filters=filters):
        row = _labelled(row, labels)
        row[occurred] = iso_instant(row[occurred])
        row[detail] = dumps(row[detail])
        writer.writerow([safe_cell(cell) for cell in row])
        if buffer.tell() >= _PIECE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def audit_export_json(*, filters: AuditFilters) -> Iterator[bytes]:
    """A JSON array of events (objects keyed by EXPORT_COLUMNS), streamed piece by piece."""
    return _export_json(filters, _event_labels())


def _export_json(filters: AuditFilters, labels: dict[str, str]) -> Iterator[bytes]:
    import io

    encode = DjangoJSONEncoder(ensure_ascii=False).encode
    buffer = io.StringIO()
    buffer.write("[")
    first = True
    occurred = EXPORT_COLUMNS.index("occurred_at")
    for row in audit_export_rows(filters=filters):
        buffer.write("\n" if first else ",\n")
        row = _labelled(row, labels)
        row[occurred] = iso_instant(row[occurred])  # the display zone, with its offset, as on screen
        buffer.write(encode(dict(zip(EXPORT_COLUMNS, row))))
        first = False
        if buffer.tell() >= _PIECE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    buffer.write("\n]\n")
    yield buffer.getvalue().encode()


# --- questions ----------------------------------------------------------------------------------


# Per group of access events: how many, of which downloads (files sent) and previews, how many refused,
# the first and the last.
_ACCESS_COUNTS = {
    "events": Count("id"),
    "downloads": Count("id", filter=Q(event_type__in=DOWNLOAD_EVENT_TYPES, outcome=Outcome.SUCCESS)),
    "previews": Count("id", filter=Q(event_type__in=PREVIEW_EVENT_TYPES, outcome=Outcome.SUCCESS)),
    "denied": Count("id", filter=~Q(outcome=Outcome.SUCCESS)),
    "first_id": Min("id"),
    "last_id": Max("id"),
    "first_at": Min("occurred_at"),
    "last_at": Max("occurred_at"),
}


@dataclass
class UserAccessSummary:
    """What one person accessed in a date range: per target, how often, first and last time."""

    targets: list[dict] = field(default_factory=list)
    page: AuditPage | None = None


def user_access_summary(*, actor_id: int, date_from: dt.date | None, date_to: dt.date | None,
                        before: int | None = None, limit: int = 200) -> UserAccessSummary:
    """"What did user X access between these dates?" — grouped by what they accessed, plus the events."""
    filters = AuditFilters(actor_id=actor_id, event_types=ACCESS_EVENT_TYPES, date_from=date_from, date_to=date_to)
    queryset = _filtered(filters)
    if queryset is None:
        return UserAccessSummary(targets=[], page=AuditPage([], None, filters, empty_range=True))
    targets = list(
        queryset.order_by()
        .values("target_type", "target_id", "target_label")
        .annotate(**_ACCESS_COUNTS)
        .order_by("-last_id")[:limit]
    )
    for target in targets:
        target["type_label"] = target_type_label(target["target_type"])
        target["display"] = target_display(target["target_type"], target["target_id"], target["target_label"])
    return UserAccessSummary(targets=targets, page=audit_event_page(filters=filters, before=before))


def last_chain_verification() -> AuditEvent | None:
    """The most recent recorded verification of the chain (by the console or `manage.py audit_verify`)."""
    return (
        AuditEvent.objects.filter(event_type=AUDIT_CHAIN_VERIFIED).order_by("-id").only(
            "id", "occurred_at", "outcome", "actor_label", "detail").first()
    )


def events_since(event_id: int) -> bool:
    """Whether anything was recorded after event `event_id` (one primary-key probe, no count)."""
    return AuditEvent.objects.filter(id__gt=event_id).exists()


@dataclass
class DocumentAccessSummary:
    """Who accessed one document in a date range: per person, how often, first and last time."""

    people: list[dict] = field(default_factory=list)
    page: AuditPage | None = None


def document_access_summary(*, document_id: int, actor_id: int | None = None, date_from: dt.date | None = None,
                            date_to: dt.date | None = None, before: int | None = None,
                            limit: int = 200) -> DocumentAccessSummary:
    """"Who opened this document, and when?" — grouped by person (staff and portal users), plus the events.

    Reads the document's access events through the (target, id) index, as the log filtered by document does.
    """
    filters = AuditFilters(actor_id=actor_id, document_id=document_id, event_types=ACCESS_EVENT_TYPES,
                           date_from=date_from, date_to=date_to)
    queryset = _filtered(filters)
    if queryset is None:
        return DocumentAccessSummary(people=[], page=AuditPage([], None, filters, empty_range=True))
    people = list(
        queryset.order_by().values("actor_id", "actor_label", "customer_id").annotate(**_ACCESS_COUNTS)
        .order_by("-last_id")[:limit]
    )
    return DocumentAccessSummary(people=people, page=audit_event_page(filters=filters, before=before))


# --- the compliance home page -------------------------------------------------------------------------


def recent_denials(*, limit: int = 8) -> list[AuditEvent]:
    """The newest refused accesses (one walk of the not-success index, no count)."""
    return audit_event_page(filters=AuditFilters(outcome=Outcome.DENIED), page_size=limit).events


def recent_exports(*, limit: int = 5) -> list[AuditEvent]:
    """The newest exports of the trail and of reports (the type index, newest first)."""
    return list(AuditEvent.objects.filter(event_type__in=(AUDIT_LOG_EXPORTED, CRM_REPORT_EXPORTED))
                .order_by("-id").only(*_LIST_FIELDS, "detail")[:limit])
