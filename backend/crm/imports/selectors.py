"""Reads of import runs: a run is seen by whoever made it (and may import)."""

from __future__ import annotations

from django.db.models import QuerySet

from backend.access.policy.crm import may_import_records
from backend.common.errors import NotFound
from backend.crm.models import Customer, ImportRow, ImportRun

ROWS_SHOWN = 200


def import_runs_of(*, user, limit: int = 20) -> QuerySet:
    if not may_import_records(user):
        raise NotFound()
    return ImportRun.objects.filter(created_by=user).order_by("-created_at", "-id")[:limit]


def import_run_get(*, user, run_id: int) -> ImportRun:
    if not may_import_records(user):
        raise NotFound()
    run = ImportRun.objects.filter(pk=run_id, created_by=user).first()
    if run is None:
        raise NotFound()
    return run


def import_rows_for_review(*, run: ImportRun, only: str = "", limit: int = ROWS_SHOWN) -> list[ImportRow]:
    """The rows to show: those with issues first when `only` is "issues", else in file order. A database
    match on a customer row carries the customer's name and owner only when the reader may see it
    (as the duplicate guard shows it); otherwise only its owner, whom to ask."""
    rows = ImportRow.objects.filter(run=run).order_by("number")
    if only == "issues":
        rows = rows.exclude(issues=[])
    elif only == "failed":
        rows = rows.filter(outcome="failed")
    rows = list(rows[:limit])
    ids = {row.match["id"] for row in rows if row.match.get("in") == "database" and run.entity == "customer"}
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids).select_related("owner")} if ids else {}
    for row in rows:
        row.match_customer = customers.get(row.match.get("id")) if row.match.get("in") == "database" else None
        row.match_visible = bool(row.match.get("visible"))
    return rows
