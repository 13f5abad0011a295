from django.core.management.base import BaseCommand

from backend.documents.retention import retention_refresh


class Command(BaseCommand):
    help = ("Recompute every document's disposal date from its retention policy and the CRM, and put those whose "
            "day has come in the disposal review (what the beat task documents.retention_refresh does; idempotent).")

    def handle(self, *args, **options):
        result = retention_refresh()
        for pk in result.newly_due:
            self.stdout.write(f"due for disposal review: document {pk}")
        self.stdout.write(self.style.SUCCESS(
            f"{result.documents} documents under a policy: {result.waiting} waiting for their event, "
            f"{result.scheduled} scheduled, {result.due} due ({len(result.newly_due)} new)"))
