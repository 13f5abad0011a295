"""Report endpoints under /api/crm/reports/: JSON by default, `?format=csv` for a streamed CSV export.

The CSV is UTF-8 with a byte-order mark so that Excel shows Chinese names correctly, and every
export is recorded in the audit trail (crm.report.exported).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.csv_export import csv_response
from backend.common.api import MAX_ID
from backend.common.errors import InvalidInput
from backend.crm import reports
from backend.crm.services.reports import report_export_record



_EARLIEST, _LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _date(request: Request, name: str, errors: dict) -> dt.date | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Enter a date as YYYY-MM-DD."]
        return None
    if not (_EARLIEST <= value <= _LATEST):
        # Reports reach back a period's length from its start: far ends of the calendar would overflow.
        errors[name] = [f"Enter a date between {_EARLIEST} and {_LATEST}."]
        return None
    return value


def _int(request: Request, name: str, errors: dict) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        errors[name] = ["Enter a whole number."]
        return None
    if int(raw) > MAX_ID:
        errors[name] = [f"Enter a number up to {MAX_ID}."]
        return None
    return int(raw)


def _period(request: Request, errors: dict) -> reports.Period | None:
    date_from, date_to = _date(request, "from", errors), _date(request, "to", errors)
    if errors:
        return None
    return reports.Period(date_from, date_to)


def _checked(errors: dict) -> None:
    if errors:
        raise InvalidInput("The report parameters are invalid.", fields=errors)


def jsonable(value: Any) -> Any:
    """Decimals as strings (money never becomes a float), dates as ISO strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


_PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the period (inclusive)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day of the period (inclusive)."),
]
_FORMAT = OpenApiParameter("format", str, enum=["json", "csv"],
                           description="csv: a streamed UTF-8 (with BOM) CSV download of the rows; audited.")
# JSON by default, CSV with ?format=csv.
_REPORT = {(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR}


class ReportView(APIView):
    """Shared rendering. Subclasses parse their parameters and build a `reports.Report`."""

    def build(self, request: Request) -> reports.Report:  # pragma: no cover - abstract
        raise NotImplementedError

    def perform_content_negotiation(self, request, force=False):
        # `format` selects the export; errors (and the JSON form) always render as JSON.
        if request.query_params.get("format") in ("csv", "json"):
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force)

    def get(self, request: Request):
        report = self.build(request)
        if request.query_params.get("format") == "csv":
            report_export_record(actor=request.user, report=report)
            return csv_response(reports.rows_for_csv(report),
                                filename=f"crm-{report.name}-{timezone.localdate():%Y%m%d}.csv")
        return Response(jsonable({
            "report": report.name,
            "params": report.params,
            "columns": [{"key": key, "label": label} for key, label in report.columns],
            "rows": report.rows,
            "summary": report.summary,
        }))


def report_endpoint(slug: str, report: Callable[..., reports.Report], *, summary: str, parameters: list,
                    params: Callable[[Request, dict], dict]) -> URLPattern:
    """The endpoint of one report at `<slug>/`: `params(request, errors)` reads its query parameters into the
    report's keyword arguments (collecting what is wrong in `errors`, a 400), then `report(user=..., **those)`
    builds it."""

    @extend_schema(tags=["crm: reports"])
    class View(ReportView):
        @extend_schema(summary=summary, parameters=[*parameters, _FORMAT], responses=_REPORT)
        def get(self, request: Request):
            return super().get(request)

        def build(self, request: Request) -> reports.Report:
            errors: dict = {}
            arguments = params(request, errors)
            _checked(errors)
            return report(user=request.user, **arguments)

    View.__name__ = View.__qualname__ = f"{slug.title().replace('-', '')}ReportView"
    return path(f"{slug}/", View.as_view(), name=f"api-report-{slug}")


def _period_and(person: str) -> Callable[[Request, dict], dict]:
    """The period (`from`, `to`) and one person (`owner`, `engineer`) as the report's arguments."""
    return lambda request, errors: {"period": _period(request, errors), f"{person}_id": _int(request, person, errors)}


def _period_report(slug: str, report: Callable[..., reports.Report], person: str, summary: str) -> URLPattern:
    """A report over a period (`from`, `to`) for one person or all (`owner`, `engineer`)."""
    return report_endpoint(slug, report, summary=summary, parameters=[*_PERIOD, OpenApiParameter(person, int)],
                           params=_period_and(person))


urlpatterns = [
    report_endpoint(
        "funnel", reports.sales_funnel,
        summary="Sales funnel by rep, month and stage (count, amount, weighted amount)",
        parameters=[*_PERIOD, OpenApiParameter("basis", str, enum=list(reports.FUNNEL_BASES),
                                               description="What the period applies to: created (default) or "
                                                           "expected_close."), OpenApiParameter("owner", int)],
        params=lambda request, errors: {**_period_and("owner")(request, errors),
                                        "basis": request.query_params.get("basis", "created")}),
    _period_report("won-lost", reports.won_lost, "owner",
                   "Won and lost deals per rep, the lost rate and the reasons (period: closed_at)"),
    report_endpoint(
        "receivables", reports.receivables,
        summary="Receivables per customer or per rep: ordered, paid, invoiced, outstanding, overdue",
        parameters=[OpenApiParameter("by", str, enum=list(reports.RECEIVABLE_GROUPS)),
                    OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today."),
                    OpenApiParameter("owner", int), OpenApiParameter("customer", int)],
        params=lambda request, errors: {
            "as_of": _date(request, "as_of", errors), "owner_id": _int(request, "owner", errors),
            "customer_id": _int(request, "customer", errors), "by": request.query_params.get("by", "customer")}),
    _period_report("service", reports.service_statistics, "engineer",
                   "Service statistics per engineer and in total (period: created_at)"),
    _period_report("retention", reports.retention, "owner",
                   "Customer retention per owner: new, active, retained, lost (default: last 90 days)"),
]
