"""`manage.py seed_demo`: the demo company, its people and documents. Safe to run on every start."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from demo.crm.seed import seed_crm_demo
from demo.people import DEMO_PASSWORD, demo_logins
from demo.portal import seed_portal_demo
from demo.routines import seed_routines_demo
from demo.seed import seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo departments, users and documents through the real services. "
        "If a seed already ran to completion, say so and change nothing."
    )

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        started = time.monotonic()
        progress = (lambda title: self.stdout.write(f"  + {title}")) if verbosity >= 2 else None
        report = seed_demo(progress=progress)
        # The CRM demo links to the documents above; it skips itself when already seeded.
        seed_crm_demo(stdout=self.stdout if verbosity >= 1 else None)
        # The portal demo: a customer contact and what was shared with them (skips itself when present).
        self.portal = seed_portal_demo(password=DEMO_PASSWORD, stdout=self.stdout if verbosity >= 1 else None)
        # Service levels, retention, a legal hold, a campaign, targets and the inboxes (skips itself when present).
        seed_routines_demo(stdout=self.stdout if verbosity >= 1 else None)
        elapsed = time.monotonic() - started

        if report.already_present:
            if verbosity >= 1:
                self.stdout.write("Demo data is already there; nothing to do.")
        else:
            if verbosity >= 1:
                self.stdout.write(self.style.SUCCESS(
                    f"Demo data seeded in {elapsed:.1f} s: {report.departments_created} departments, "
                    f"{len(report.users_created)} users, {report.documents_created} documents, "
                    f"{report.versions_created} versions, {report.approvals} approvals, {report.grants} grants, "
                    f"{report.checkouts} check-outs."
                ))
            if report.users_kept:
                self.stdout.write(self.style.WARNING(
                    "These users existed already and were left as they were (their passwords were not reset): "
                    + ", ".join(report.users_kept)
                ))
            self._font_notice(verbosity)

        if verbosity >= 1:
            self._print_logins()

    def _font_notice(self, verbosity: int) -> None:
        from demo.files.pdf import pdf_font

        font = pdf_font()
        if font.embedded:
            if verbosity >= 1:
                self.stdout.write(f"Chinese text in PDFs uses {font.source} (embedded).")
        else:
            self.stdout.write(self.style.WARNING(
                "No TrueType CJK font found; PDFs use the non-embedded STSong-Light font, which some viewers show as "
                "boxes. Install the Debian package fonts-wqy-zenhei for embedded Chinese fonts."
            ))

    def _print_logins(self) -> None:
        logins = demo_logins()
        width = max(len(username) for username, *_ in logins)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, name, role, department in logins:
            self.stdout.write(f"  {username:<{width}}  {name}  ·  {role}  ·  {department}")
        if self.portal.email:
            self.stdout.write(f"Customer portal: http://127.0.0.1:8000/portal/  e-mail {self.portal.email}, "
                              f"password {DEMO_PASSWORD}")
