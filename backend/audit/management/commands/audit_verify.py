"""manage.py audit_verify: walk the audit hash chain and say whether it is intact."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from backend.audit.services import audit_trail_verify_and_record


class Command(BaseCommand):
    help = (
        "Verify the audit trail's keyed hash chain and compare it with the newest signed checkpoint. "
        "Prints 'OK: N events, chain intact…' or 'BROKEN at event #ID: reason' (a rewritten event, a "
        "cut-off tail, an emptied table) and exits with status 1 when broken. Records an "
        "audit.chain.verified event afterwards and, when intact, writes a new checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Events read per query (default 5000)."
        )

    def handle(self, *args, batch_size: int, **options):
        result = audit_trail_verify_and_record(actor=None, batch_size=batch_size)
        if result.ok:
            self.stdout.write(f"OK: {result.checked} events, {result.reason}")
            return
        where = f" at event #{result.first_bad_id}" if result.first_bad_id else ""
        self.stdout.write(f"BROKEN{where}: {result.reason}")
        sys.exit(1)
