"""Audit event types of operations: backups taken and restored (backend/ops/backup.py)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

OPS_BACKUP_CREATED = register(
    "ops.backup.created",
    "A backup of the stack (database, referenced objects, newest audit checkpoint) was written.",
    label=_("Backed up the system"),
)
OPS_BACKUP_RESTORED = register(
    "ops.backup.restored",
    "The stack was restored from a backup (database and objects replaced).",
    label=_("Restored the system from a backup"),
)
