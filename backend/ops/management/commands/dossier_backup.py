"""manage.py dossier_backup DEST: one consistent backup of the stack (backend/ops/backup.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from minio.error import S3Error
from urllib3.exceptions import HTTPError

from backend.ops.backup import BackupError, Progress, backup_place, backups_prune, dossier_backup, redacted
from storage.errors import StoreError


class ProgressLines:
    """A line per stage and one every 10% of the objects (a bar redrawn in place on a terminal)."""

    def __init__(self, stream, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.decile = -1
        self.stage = ""

    def __call__(self, state: Progress) -> None:
        if not self.enabled:
            return
        if state.stage != self.stage:
            self.stage, self.decile = state.stage, -1
            if state.stage == "database":
                self.stream.write("Database…")
            return
        if state.stage != "objects" or not state.total:
            return
        fraction = state.done / state.total
        rate = state.bytes_copied / max(state.seconds, 1e-6) / (1 << 20)
        line = (f"objects {state.done:,}/{state.total:,} ({fraction:.0%}): {state.copied:,} copied, "
                f"{state.reused:,} already there, {state.bytes_copied / (1 << 20):,.1f} MiB at {rate:,.1f} MiB/s")
        if self.tty:
            self.stream.write("\r" + line, ending="" if state.done < state.total else "\n")
            self.stream.flush()
        elif int(fraction * 10) > self.decile:
            self.decile = int(fraction * 10)
            self.stream.write(line)


class Command(BaseCommand):
    help = (
        "Write a consistent backup of this stack to DEST (a directory or s3://KEY:SECRET@host:port/bucket[/prefix]): "
        "the database (pg_dump, or SQLite's online backup), a manifest of every referenced object with its SHA-256, "
        "the objects not already in DEST (incremental), and the newest audit checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", help="a directory or an s3:// URL")
        parser.add_argument("--objects", choices=("copy", "versions"), default="copy",
                            help="copy the objects' bytes (default), or on a versioned S3 bucket only note each "
                                 "object's version id")
        parser.add_argument("--parallel", type=int, default=8, help="objects copied at once (default 8)")
        parser.add_argument("--keep", type=int, default=None,
                            help="after the backup, keep only the newest N complete backups in DEST and the objects "
                                 "they list (never while another backup writes to DEST)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, dest: str, objects: str, no_progress: bool, parallel: int, keep: int | None,
               **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep needs at least 1 (the backup just written)")
        try:
            result = dossier_backup(dest, objects=objects, parallel=parallel,
                                    progress=ProgressLines(self.stderr, not no_progress))
        except (BackupError, StoreError, S3Error, HTTPError, OSError) as exc:  # a place or server that fails
            raise CommandError(f"backup to {redacted(dest)} failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Backup {result.backup_id} written to {result.place} in {result.seconds:.1f} s: database, "
            f"{result.objects:,} objects ({result.objects_copied:,} copied, {result.objects_reused:,} already there, "
            f"{result.bytes_copied / (1 << 20):,.1f} MiB copied), audit checkpoint "
            f"{'at event #' + str(result.checkpoint_head_id) if result.checkpoint_head_id else 'none yet'}."
        ))
        if keep is None:
            return
        try:
            pruned = backups_prune(backup_place(dest), keep=keep, current=result.backup_id)
        except (BackupError, StoreError, S3Error, HTTPError, OSError) as exc:
            raise CommandError(f"the backup is written, but pruning {redacted(dest)} failed: {exc}") from exc
        self.stdout.write(
            f"Kept the newest {keep} backups: removed {len(pruned.backups_removed)} older backups and "
            f"{pruned.objects_removed:,} objects no kept backup lists ({pruned.bytes_freed / (1 << 20):,.1f} MiB)."
        )
