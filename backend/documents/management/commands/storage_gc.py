from django.conf import settings
from django.core.management.base import BaseCommand

from backend.documents.integrity import storage_orphans_sweep


class Command(BaseCommand):
    help = "Delete stored objects that no document version references (older than a grace period)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted, delete nothing.")
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=settings.STORAGE_GC_GRACE_SECONDS,
            help="Keep orphans younger than this (an upload may still be committing).",
        )

    def handle(self, *args, dry_run: bool, grace_seconds: int, **options):
        report = storage_orphans_sweep(grace_seconds=grace_seconds, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for key in report.deleted:
            self.stdout.write(f"{verb} {key}")
        for key in report.aborted_uploads:
            self.stdout.write(f"{'would abort' if dry_run else 'aborted'} unfinished upload of {key}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(report.deleted)} orphan objects, {report.bytes_freed} bytes; "
                f"{len(report.aborted_uploads)} unfinished uploads"
            )
        )
