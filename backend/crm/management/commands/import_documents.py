"""manage.py import_documents DIR|ZIP --manifest CSV --user NAME: old files as documents, linked to their
customers and quotes; content already in Dossier reported, failed rows listed; run it again to resume."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.accounts.models import User
from backend.common.errors import DomainError
from backend.crm.imports.documents import import_documents
from backend.crm.models import ImportOutcome, ImportRow


class Command(BaseCommand):
    help = ("Import a folder or ZIP of old files with a manifest (CSV or XLSX: file, customer, kind, date, quote "
            "number, title). Running it again with the same manifest resumes an interrupted import.")

    def add_arguments(self, parser):
        parser.add_argument("source", help="A folder or a ZIP file.")
        parser.add_argument("--manifest", required=True)
        parser.add_argument("--user", required=True, help="The importing user's username.")

    def handle(self, *args, source: str, manifest: str, user: str, **options):
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"No such user: {user}")
        manifest_path = Path(manifest)
        if not manifest_path.is_file():
            raise CommandError(f"No such manifest: {manifest}")
        try:
            run = import_documents(actor=actor, source_path=source, manifest=manifest_path.read_bytes(),
                                   manifest_name=manifest_path.name, progress=self._progress)
        except DomainError as error:
            raise CommandError(str(error)) from None
        sys.stderr.write("\n")
        self.stdout.write(json.dumps({"run": run.pk, "outcomes": run.report.get("outcomes", {})}))
        for row in ImportRow.objects.filter(run=run).exclude(outcome=ImportOutcome.CREATED).order_by("number"):
            self.stdout.write(f"row {row.number} {row.data.get('file', '')}: {row.outcome} {row.error}".rstrip())

    def _progress(self, done: int, total: int) -> None:
        sys.stderr.write(f"\r{done}/{total}")
        sys.stderr.flush()
