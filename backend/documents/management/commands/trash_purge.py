from django.core.management.base import BaseCommand

from backend.documents.trash import trash_purge_expired, trash_retention_days


class Command(BaseCommand):
    help = "Delete for good the documents in the trash longer than TRASH_RETENTION_DAYS (never one under a legal hold)."

    def handle(self, *args, **options):
        report = trash_purge_expired()
        for pk in report.purged:
            self.stdout.write(f"purged document {pk}")
        for pk in report.held:
            self.stdout.write(f"kept document {pk}: under a legal hold")
        for pk, why in report.failed:
            self.stdout.write(f"skipped document {pk}: {why}")
        self.stdout.write(self.style.SUCCESS(
            f"purged {len(report.purged)} documents in the trash over {trash_retention_days()} days; "
            f"{len(report.held)} held"))
