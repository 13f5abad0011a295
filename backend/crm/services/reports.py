"""The one write a report makes: exporting it is recorded in the audit trail."""

from __future__ import annotations

from django.db import transaction

from backend.access.policy import may_export_reports
from backend.audit import services as audit
from backend.common.errors import NotFound
from backend.crm.reports import Report


def report_export_record(*, actor, report: Report) -> None:
    """Record that `actor` exported `report` (its name, parameters and how many rows left the system)."""
    if not may_export_reports(actor):
        raise NotFound()
    with transaction.atomic():
        audit.record("crm.report.exported", actor=actor, target_type="crm.report", target_id=report.name,
                     target_label=f"{report.name} report",
                     detail={"report": report.name, "params": report.params, "rows": len(report.rows),
                             "format": "csv"})
