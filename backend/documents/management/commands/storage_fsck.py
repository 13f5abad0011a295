from django.core.management.base import BaseCommand, CommandError

from backend.documents.integrity import storage_integrity_check


class Command(BaseCommand):
    help = ("Report missing, corrupt (size or checksum mismatch) and orphan objects in the document store, and "
            "objects a legal hold covers that the store does not hold.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-content", action="store_true", help="Check existence and size only; do not re-hash content."
        )

    def handle(self, *args, no_content: bool, **options):
        report = storage_integrity_check(verify_content=not no_content)
        for key in report.missing:
            self.stdout.write(f"MISSING  {key}")
        for key, reason in report.corrupt:
            self.stdout.write(f"CORRUPT  {key}: {reason}")
        for key in report.orphans:
            self.stdout.write(f"ORPHAN   {key}")
        for key in report.not_held:
            self.stdout.write(f"NOT HELD {key}: a legal hold covers it but the store does not hold it")
        for key in report.held_orphans:
            self.stdout.write(f"HELD     {key}: unreferenced, still held on the store (kept)")
        summary = (
            f"checked {report.checked} objects: {len(report.missing)} missing, "
            f"{len(report.corrupt)} corrupt, {len(report.orphans)} orphan; "
            f"{report.held} under legal hold, {len(report.not_held)} of them not held by the store"
        )
        if not report.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
