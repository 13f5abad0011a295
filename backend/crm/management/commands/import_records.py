"""manage.py import_records FILE --entity customer --user NAME: a dry run (the cleaning report), then,
unless --dry-run, the commit with progress. Re-running the same file changes nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.accounts.models import User
from backend.common.errors import DomainError
from backend.crm.imports import runs
from backend.crm.imports.fields import RECORD_ENTITIES
from backend.crm.models import ImportDecision, ImportRow


class Command(BaseCommand):
    help = ("Import customers, contacts, products or opportunities from a CSV (UTF-8 or GBK/GB18030) or XLSX "
            "file: a dry run with a cleaning report, then the commit (duplicates merged, unusable rows skipped).")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="The file to import (not with --resume).")
        parser.add_argument("--resume", type=int, metavar="RUN",
                            help="Finish the commit of this run (one the wizard or an interrupted command left "
                                 "importing): only its rows not yet written are written.")
        parser.add_argument("--entity", choices=[str(entity) for entity in RECORD_ENTITIES])
        parser.add_argument("--user", required=True, help="The importing user's username (every record is "
                                                          "audited under them).")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="Take FIELD from the column with this header (or 1-based number).")
        parser.add_argument("--duplicates", choices=list(ImportDecision.values), default=ImportDecision.MERGE,
                            help="What to do with rows that duplicate a record or an earlier row (default: merge).")
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing but the run.")

    def handle(self, *args, **options):
        actor = User.objects.filter(username=options["user"]).first()
        if actor is None:
            raise CommandError(f"No such user: {options['user']}")
        if options["resume"]:
            self._resume(actor, options["resume"])
            return
        if not options["file"] or not options["entity"]:
            raise CommandError("Give the FILE and its --entity (or --resume RUN).")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        data = path.read_bytes()
        mapping = self._mapping(data, path.name, options["entity"], options["map"]) if options["map"] else None
        try:
            run = runs.import_run_analyse(actor=actor, entity=options["entity"], filename=path.name, data=data,
                                          mapping=mapping)
            self.stdout.write(json.dumps({"run": run.pk, "encoding": run.encoding, "mapping": run.mapping,
                                          **{k: v for k, v in run.report.items() if k != "headers"}},
                                         ensure_ascii=False, indent=1))
            for row in ImportRow.objects.filter(run=run).exclude(issues=[]).order_by("number")[:50]:
                self.stdout.write(f"row {row.number}: {', '.join(row.issues)} -> {row.decision}")
            if options["dry_run"]:
                return
            if options["duplicates"] != ImportDecision.MERGE:
                numbers = list(ImportRow.objects.filter(run=run, decision=ImportDecision.MERGE)
                               .values_list("number", flat=True))
                runs.import_rows_decide(actor=actor, run=run,
                                        decisions=dict.fromkeys(numbers, options["duplicates"]))
            run = runs.import_run_commit(actor=actor, run=run, progress=self._progress)
        except DomainError as error:
            raise CommandError(f"{error} {getattr(error, 'extra', '') or ''}".strip()) from None
        sys.stderr.write("\n")
        self.stdout.write(json.dumps({"run": run.pk, "outcomes": run.report.get("outcomes", {})}))
        for row in ImportRow.objects.filter(run=run, outcome="failed").order_by("number")[:50]:
            self.stdout.write(f"row {row.number} failed: {row.error}")

    def _resume(self, actor, run_id: int) -> None:
        from backend.crm.imports.selectors import import_run_get

        try:
            run = runs.import_run_commit(actor=actor, run=import_run_get(user=actor, run_id=run_id),
                                         progress=self._progress)
        except DomainError:
            raise CommandError(f"No import run {run_id} of {actor.username}'s.") from None
        sys.stderr.write("\n")
        self.stdout.write(json.dumps({"run": run.pk, "outcomes": run.report.get("outcomes", {})}))

    def _mapping(self, data: bytes, filename: str, entity: str, pairs: list[str]) -> dict[str, int]:
        from backend.crm.imports.fields import guess_mapping
        from backend.crm.imports.reading import read_table

        headers = read_table(data, filename=filename).headers
        mapping = guess_mapping(entity, headers)
        for pair in pairs:
            field, _, column = pair.partition("=")
            if column.isdigit():
                mapping[field] = int(column) - 1
            elif column in headers:
                mapping[field] = headers.index(column)
            else:
                raise CommandError(f"No column {column!r} (the headers are: {', '.join(headers)})")
        return mapping

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
