"""Background work of the audit trail."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="audit.checkpoint")
def checkpoint() -> dict:
    """Every AUDIT_CHECKPOINT_SECONDS (Celery beat): sign the chain's head into write-once storage."""
    from backend.audit.checkpoints import checkpoint_write

    written = checkpoint_write()
    return {"head_id": written.head_id, "count": written.count}
