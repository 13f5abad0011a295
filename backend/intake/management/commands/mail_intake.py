"""manage.py mail_intake --once: take the mailbox's unseen messages now (what the beat task does).

Without --once it polls every MAIL_INTAKE_POLL_SECONDS until stopped. --url overrides MAIL_INTAKE_URL.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.intake.services import mail_intake_poll


class Command(BaseCommand):
    help = "Take the intake mailbox's new messages: each becomes documents, or waits in the intake queue."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--url", default=None, help="the mailbox (default: MAIL_INTAKE_URL)")

    def handle(self, *args, once: bool, url: str | None, **options):
        if not (url or settings.MAIL_INTAKE_URL):
            raise CommandError("Set MAIL_INTAKE_URL (imap://user:password@host:port/INBOX) or pass --url.")
        while True:
            report = mail_intake_poll(url=url)
            self.stdout.write(f"{report.mailbox}: {len(report.taken)} taken, {report.already} already recorded, "
                              f"{report.failed} failed")
            if once:
                return
            time.sleep(settings.MAIL_INTAKE_POLL_SECONDS)
