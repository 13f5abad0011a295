"""The writes of the reports: exporting a figure is recorded in the audit trail; sales targets are set
and removed by administrators and team managers (policy/reports.py), audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from backend.access.policy import may_export_reports
from backend.access.policy.reports import may_set_target_for
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import Currency, SalesTarget, TargetPeriod
from backend.crm.reports import Report

EXPORT_FORMATS = ("csv", "xlsx")


def report_export_record(*, actor, report: Report, format: str = "csv") -> None:
    """Record that `actor` exported `report` (its name, parameters, format and how many rows left)."""
    if not may_export_reports(actor):
        raise NotFound()
    if format not in EXPORT_FORMATS:
        raise InvalidInput("Unknown export format.", fields={"format": [f"Choose one of: {', '.join(EXPORT_FORMATS)}."]})
    with transaction.atomic():
        audit.record("crm.report.exported", actor=actor, target_type="crm.report", target_id=report.name,
                     target_label=f"{report.name} report",
                     detail={"report": report.name, "params": report.params, "rows": len(report.rows),
                             "format": format})


def _period_start(period: str, starts_on: dt.date) -> dt.date:
    if period == TargetPeriod.QUARTER:
        return dt.date(starts_on.year, 3 * ((starts_on.month - 1) // 3) + 1, 1)
    return starts_on.replace(day=1)


def sales_target_set(*, actor, period: str, starts_on: dt.date, currency: str, amount: Decimal, rep=None,
                     department=None) -> SalesTarget:
    """Set the target of `rep` or of `department` (a team) for the month or quarter holding `starts_on`,
    in `currency`: a new one, or the amount of the one already there. Audited."""
    if (rep is None) == (department is None):
        raise InvalidInput("Name a rep or a team.", fields={"rep": ["Choose a rep or a team, not both."]})
    if not may_set_target_for(actor, rep=rep, department=department):
        raise NotFound()
    if period not in TargetPeriod.values:
        raise InvalidInput("Unknown period.", fields={"period": ["Choose month or quarter."]})
    if currency not in Currency.values:
        raise InvalidInput("Unknown currency.", fields={"currency": ["Choose a currency."]})
    if amount is None or amount <= 0:
        raise InvalidInput("A target is a positive amount.", fields={"amount": ["Must be more than 0."]})
    starts_on = _period_start(period, starts_on)
    with transaction.atomic():
        target, created = SalesTarget.objects.select_for_update().get_or_create(
            rep=rep, department=department, period=period, starts_on=starts_on, currency=currency,
            defaults={"amount": amount, "set_by": actor})
        previous = None if created else str(target.amount)
        if not created:
            target.amount, target.set_by = amount, actor
            target.save(update_fields=["amount", "set_by"])
        audit.record("crm.target.set", actor=actor, target=target, target_label=str(target),
                     detail={"rep": rep.pk if rep else None, "team": department.pk if department else None,
                             "period": period, "starts_on": starts_on.isoformat(), "currency": currency,
                             "amount": str(amount), "previous": previous})
    return target


def sales_target_remove(*, actor, target: SalesTarget) -> None:
    """Remove a target (the same people who may set it). Audited."""
    if not may_set_target_for(actor, rep=target.rep, department=target.department):
        raise NotFound()
    with transaction.atomic():
        label, pk = str(target), target.pk
        detail = {"rep": target.rep_id, "team": target.department_id, "period": target.period,
                  "starts_on": target.starts_on.isoformat(), "currency": target.currency,
                  "amount": str(target.amount)}
        target.delete()
        audit.record("crm.target.removed", actor=actor, target_type="crm.salestarget", target_id=str(pk),
                     target_label=label, detail=detail)
