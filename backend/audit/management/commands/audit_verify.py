"""manage.py audit_verify: walk the audit hash chain and say whether it is intact."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from backend.audit.events import AUDIT_CHAIN_VERIFIED
from backend.audit.models import Outcome
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import record


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain. Prints 'OK: N events, chain intact' or "
        "'BROKEN at event #ID: reason' and exits with status 1 when broken. "
        "Records an audit.chain.verified event afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="Events read per query (default 5000)."
        )

    def handle(self, *args, batch_size: int, **options):
        result = audit_chain_verify(batch_size=batch_size)
        # The check reads first; only then does recording it append a row.
        record(
            AUDIT_CHAIN_VERIFIED,
            actor=None,
            outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
            detail={
                "checked": result.checked,
                "first_bad_id": result.first_bad_id,
                "reason": result.reason,
                "last_id": result.last_id,
                "last_hash": result.last_hash,
            },
        )
        if result.ok:
            self.stdout.write(f"OK: {result.checked} events, chain intact")
            return
        self.stdout.write(f"BROKEN at event #{result.first_bad_id}: {result.reason}")
        sys.exit(1)
