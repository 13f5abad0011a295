"""`manage.py check --deploy`: the audit trail's key and checkpoints are set up for evidence."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def audit_anchors(app_configs, **kwargs):
    found = []
    if not settings.AUDIT_CHAIN_KEY and not settings.AUDIT_CHAIN_KEY_FILE:
        found.append(checks.Warning(
            "The audit chain's key is generated in DOSSIER_DATA_DIR, next to the data.",
            hint="Set AUDIT_CHAIN_KEY_FILE to a file kept away from the database and its backups.",
            id="dossier.audit.W001"))
    if not settings.AUDIT_CHECKPOINT_URL.startswith("s3://"):
        found.append(checks.Warning(
            "Audit checkpoints are kept on local disk, where they can be deleted.",
            hint="Set AUDIT_CHECKPOINT_URL to an S3 bucket with Object Lock (s3://KEY:SECRET@host/bucket).",
            id="dossier.audit.W002"))
    return found
