"""Background work of the audit trail."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="audit.checkpoint")
def checkpoint() -> dict:
    """Every AUDIT_CHECKPOINT_SECONDS (Celery beat): sign the chain's head into write-once storage."""
    from backend.audit.checkpoints import checkpoint_write

    written = checkpoint_write()
    return {"head_id": written.head_id, "count": written.count}


@shared_task(name="audit.compliance_alerts_scan")
def compliance_alerts_scan() -> dict:
    """Every COMPLIANCE_ALERT_SCAN_SECONDS (Celery beat): the compliance alert rules over the recent trail."""
    from backend.audit.alerts import compliance_alerts_scan as scan

    return {"raised": [alert.key for alert in scan()]}


@shared_task(name="audit.verify")
def verify() -> dict:
    """Every COMPLIANCE_VERIFY_SECONDS (Celery beat): verify the chain; a failure alerts compliance."""
    from backend.audit.alerts import audit_verify_scheduled

    result = audit_verify_scheduled()
    return {"ok": result.ok, "checked": result.checked}
