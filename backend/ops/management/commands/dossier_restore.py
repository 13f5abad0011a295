"""manage.py dossier_restore SRC: restore a backup onto an empty stack (backend/ops/backup.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from minio.error import S3Error
from urllib3.exceptions import HTTPError

from backend.ops.backup import BackupError, backup_check, dossier_restore, redacted
from backend.ops.management.commands.dossier_backup import ProgressLines
from storage.errors import StoreError


class Command(BaseCommand):
    help = (
        "Restore the newest complete backup in SRC (or --backup ID) onto this stack: the database, every "
        "object (checked against its SHA-256) and the audit checkpoint. Refuses a stack that holds data unless "
        "--force. Then run `search_reindex --clear` and `audit_verify`."
    )

    def add_arguments(self, parser):
        parser.add_argument("src", help="a directory or an s3:// URL that dossier_backup wrote to")
        parser.add_argument("--backup", dest="backup_id", default=None, help="the backup's id (default: the newest)")
        parser.add_argument("--force", action="store_true", help="replace whatever this stack holds")
        parser.add_argument("--check", action="store_true",
                            help="restore nothing: read the backup through and check the database file and every "
                                 "object against their SHA-256; exits non-zero when one is missing or differs")
        parser.add_argument("--parallel", type=int, default=8, help="objects copied at once (default 8)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, src: str, backup_id: str | None, force: bool, check: bool, no_progress: bool,
               parallel: int, **options):
        if check:
            return self.check_backup(src, backup_id, parallel, not no_progress)
        try:
            result = dossier_restore(src, backup_id=backup_id, force=force, parallel=parallel,
                                     progress=ProgressLines(self.stderr, not no_progress))
        except (BackupError, StoreError, S3Error, HTTPError, OSError) as exc:  # a place or server that fails
            raise CommandError(f"restore from {redacted(src)} failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Restored backup {result.backup_id} in {result.seconds:.1f} s: database, {result.objects:,} objects "
            f"({result.objects_copied:,} copied, {result.objects_present:,} already there), audit checkpoint "
            f"{'at event #' + str(result.checkpoint_head_id) if result.checkpoint_head_id else 'none'}. "
            "Next: `manage.py search_reindex --clear` and `manage.py audit_verify`."
        ))

    def check_backup(self, src: str, backup_id: str | None, parallel: int, progress: bool) -> None:
        try:
            found = backup_check(src, backup_id=backup_id, parallel=parallel,
                                 progress=ProgressLines(self.stderr, progress))
        except (BackupError, StoreError, S3Error, HTTPError, OSError) as exc:
            raise CommandError(f"checking the backup in {redacted(src)} failed: {exc}") from exc
        for key in found.missing:
            self.stdout.write(f"MISSING  {key}")
        for key in found.corrupt:
            self.stdout.write(f"CORRUPT  {key}")
        summary = (f"backup {found.backup_id}: checked the database and {found.checked:,} objects: "
                   f"{len(found.missing)} missing, {len(found.corrupt)} corrupt")
        if not found.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
