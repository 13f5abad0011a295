"""The import services the command and the wizard call: a dry run of a file (its rows read, cleaned and
matched, nothing written but the run), new column mappings, per-row decisions, and the commit with its
progress. Who may import is the policy's rule (`may_import_records`); a run is its importer's own."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from collections import Counter
from collections.abc import Callable

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from backend.access.policy.crm import may_import_records
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.common.text import clean_line
from backend.crm.imports import analysis
from backend.crm.imports.commit import BATCH, commit_rows
from backend.crm.imports.fields import RECORD_ENTITIES, fields_of, guess_mapping
from backend.crm.imports.reading import read_table
from backend.crm.models import ImportDecision, ImportEntity, ImportOutcome, ImportRow, ImportRun, ImportRunStatus

# The import's refusals, shown translated by backend/ui/errors.py (the catalogue has them).
MESSAGES = (
    gettext_noop("The file is neither UTF-8 nor GBK/GB18030 text."),
    gettext_noop("The file has no header row."),
    gettext_noop("The spreadsheet cannot be read."),
    gettext_noop("Choose what the file holds."),
    gettext_noop("Choose a column for each field."),
    gettext_noop("Choose a column."),
    gettext_noop("This import has already been committed."),
    gettext_noop("Choose merge, create or skip."),
    gettext_noop("No customer of that name (and region or code)."),
    gettext_noop("The row names no file."),
    gettext_noop("No such file in the folder or ZIP."),
    gettext_noop("The source is neither a folder nor a ZIP file."),
    gettext_noop("The file is not a readable CSV table."),
    gettext_noop("Choose which rows."),
)
MAX_ROWS = 200_000
ROW_BATCH = 2000

ISSUE_LABELS = {
    analysis.MISSING: _("A required value is missing"),
    analysis.NORMALISED: _("Full-width characters or spaces tidied"),
    analysis.INVALID_PHONE: _("Invalid phone number (left out)"),
    analysis.INVALID_EMAIL: _("Invalid e-mail address (left out)"),
    analysis.INVALID_NUMBER: _("Not a number (left out)"),
    analysis.INVALID_DATE: _("Not a date (left out)"),
    analysis.INVALID_CHOICE: _("Unknown value (the default is used)"),
    analysis.UNKNOWN_OWNER: _("Unknown owner (you will own it)"),
    analysis.UNKNOWN_CUSTOMER: _("Unknown customer"),
    analysis.DUPLICATE_IN_FILE: _("Duplicate of an earlier row"),
    analysis.DUPLICATE_IN_DATABASE: _("Already in Dossier"),
}


@contextlib.contextmanager
def _fewer_full_collections():
    """An import holds hundreds of thousands of long-lived objects (its index of keys, its rows); Python's
    oldest-generation collection walks all of them each time it runs (a seventh of a 100,000-row import's
    time). Run it a tenth as often while the import works (the young generations are collected as usual),
    then as before."""
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0], threshold[1], max(threshold[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _require_importer(actor) -> None:
    if not may_import_records(actor):
        raise NotFound()


def _require_own(actor, run: ImportRun) -> None:
    _require_importer(actor)
    if run.created_by_id != actor.pk:
        raise NotFound()


def _checked_mapping(entity: str, mapping: dict, width: int) -> dict[str, int]:
    names = {field.name for field in fields_of(entity)}
    checked: dict[str, int] = {}
    for name, index in (mapping or {}).items():
        if index in (None, ""):
            continue
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise InvalidInput("Choose a column for each field.", fields={name: ["Choose a column."]}) from None
        if name not in names or not 0 <= index < width:
            raise InvalidInput("Choose a column for each field.", fields={name: ["Choose a column."]})
        checked[name] = index
    return checked


def _analyse_into(run: ImportRun, raw_rows: list[tuple[int, list[str]]], mapping: dict[str, int], *, actor) -> None:
    index = analysis.RecordIndex(run.entity)
    rows, report = analysis.analyse(run.entity, raw_rows, mapping, index)
    if run.entity == ImportEntity.CUSTOMER:
        matched = {row.match["id"] for row in rows if row.match.get("in") == "database"}
        shown = analysis.visible_customer_ids(actor, matched) if matched else set()
        for row in rows:
            if row.match.get("in") == "database":
                row.match["visible"] = row.match["id"] in shown
    raw_of = dict(raw_rows)
    ImportRow.objects.filter(run=run).delete()
    _insert_rows(run, [(row.number, {**row.data, "_raw": raw_of[row.number]}, row.issues, row.match, row.decision)
                       for row in rows])
    previous = (ImportRun.objects.filter(created_by=run.created_by, file_sha256=run.file_sha256,
                                         entity=run.entity, status=ImportRunStatus.COMMITTED)
                .exclude(pk=run.pk).order_by("-finished_at").values_list("pk", flat=True).first())
    run.mapping = mapping
    run.report = {**report, "previous_run": previous}
    run.total = len(rows)
    run.done = 0


def _insert_rows(run: ImportRun, rows: list[tuple]) -> None:
    """The run's rows (number, data, issues, match, decision): COPY on PostgreSQL (bulk_create sends JSON
    columns as arrays of text, whose quoting costs far more than the rows), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        for start in range(0, len(rows), ROW_BATCH):
            ImportRow.objects.bulk_create([
                ImportRow(run=run, number=number, data=data, issues=issues, match=match, decision=decision)
                for number, data, issues, match, decision in rows[start:start + ROW_BATCH]])
        return
    names = ("run", "number", "data", "issues", "match", "decision", "outcome", "error")
    columns = ", ".join(connection.ops.quote_name(ImportRow._meta.get_field(name).column) for name in names)
    table = connection.ops.quote_name(ImportRow._meta.db_table)
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    pending = str(ImportOutcome.PENDING)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - names only
            for number, data, issues, match, decision in rows:
                copy.write_row((run.pk, number, dumps(data), dumps(issues), dumps(match), str(decision), pending, ""))


def import_run_analyse(*, actor, entity: str, filename: str, data: bytes,
                       mapping: dict | None = None) -> ImportRun:
    """The dry run of a file: a new run holding every row cleaned, matched and with a suggested decision,
    and the cleaning report. Nothing else is written. `mapping` (field -> column index) defaults to the
    columns the headers name."""
    _require_importer(actor)
    if entity not in RECORD_ENTITIES:
        raise InvalidInput("Choose what the file holds.", fields={"entity": ["Choose what the file holds."]})
    with _fewer_full_collections():
        return _analyse(actor=actor, entity=entity, filename=filename, data=data, mapping=mapping)


def _analyse(*, actor, entity: str, filename: str, data: bytes, mapping: dict | None) -> ImportRun:
    table = read_table(data, filename=filename)
    if len(table.rows) > MAX_ROWS:
        message = f"At most {MAX_ROWS} rows a file."
        raise InvalidInput(message, fields={"file": [message]})
    mapping = _checked_mapping(entity, mapping, len(table.headers)) if mapping else guess_mapping(entity, table.headers)
    raw_rows = [(number, row) for number, row in enumerate(table.rows, start=2)]
    with transaction.atomic():
        run = ImportRun.objects.create(entity=entity, created_by=actor, filename=clean_line(filename)[:300] or "-",
                                       file_sha256=hashlib.sha256(data).hexdigest(), encoding=table.encoding)
        _analyse_into(run, raw_rows, mapping, actor=actor)
        run.report["headers"] = table.headers
        run.save()
        audit.record("crm.import.analysed", actor=actor, target=run,
                     detail={"entity": entity, "filename": run.filename, "sha256": run.file_sha256,
                             "encoding": run.encoding, "report": {k: v for k, v in run.report.items()
                                                                  if k != "headers"}})
    return run


def import_run_remap(*, actor, run: ImportRun, mapping: dict) -> ImportRun:
    """Analyse the run's rows again with other columns for its fields (before it is committed)."""
    _require_own(actor, run)
    if run.status != ImportRunStatus.ANALYSED:
        raise Conflict("This import has already been committed.")
    headers = run.report.get("headers", [])
    mapping = _checked_mapping(run.entity, mapping, len(headers))
    raw_rows = [(number, data.get("_raw", [])) for number, data in
                ImportRow.objects.filter(run=run).order_by("number").values_list("number", "data")]
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        _analyse_into(run, raw_rows, mapping, actor=actor)
        run.report["headers"] = headers
        run.save()
        audit.record("crm.import.analysed", actor=actor, target=run,
                     detail={"entity": run.entity, "filename": run.filename, "remapped": mapping,
                             "report": {k: v for k, v in run.report.items() if k != "headers"}})
    return run


def import_rows_decide(*, actor, run: ImportRun, decisions: dict[int, str]) -> int:
    """Set the decision (create, merge or skip) of rows by their number; returns how many changed."""
    _require_own(actor, run)
    if run.status != ImportRunStatus.ANALYSED:
        raise Conflict("This import has already been committed.")
    if any(value not in ImportDecision.values for value in decisions.values()):
        raise InvalidInput("Choose merge, create or skip.")
    changed = 0
    with transaction.atomic():
        rows = list(ImportRow.objects.select_for_update().filter(run=run, number__in=list(decisions)))
        for row in rows:
            if row.decision != decisions[row.number]:
                row.decision = decisions[row.number]
                changed += 1
        ImportRow.objects.bulk_update(rows, ["decision"])
        if changed:
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            locked.report["decisions"] = dict(Counter(ImportRow.objects.filter(run=run)
                                                      .values_list("decision", flat=True)))
            locked.save(update_fields=["report"])
            audit.record("crm.import.decided", actor=actor, target=locked,
                         detail={"changed": changed, "decisions": Counter(decisions.values())})
    return changed


DECIDE_WHERE = (analysis.DUPLICATE_IN_FILE, analysis.DUPLICATE_IN_DATABASE, analysis.INVALID_PHONE,
                analysis.INVALID_EMAIL, analysis.UNKNOWN_OWNER, "all")


def import_rows_decide_where(*, actor, run: ImportRun, issue: str, decision: str) -> int:
    """Set the decision of every row with `issue` (or of all rows: "all"), however many the file has;
    returns how many changed."""
    _require_own(actor, run)
    if issue not in DECIDE_WHERE:
        raise InvalidInput("Choose which rows.")
    rows = ImportRow.objects.filter(run=run).exclude(decision=decision).values_list("number", "issues")
    numbers = [number for number, issues in rows.iterator(5000) if issue == "all" or issue in issues]
    return import_rows_decide(actor=actor, run=run, decisions=dict.fromkeys(numbers, decision)) if numbers else 0


def import_run_commit_later(*, actor, run: ImportRun) -> ImportRun:
    """The wizard's commit: the run is marked as importing and its rows are written by a Celery task after
    this transaction (in this process when there is no broker), so a long file never holds a request. A
    run already importing or imported is left as it is."""
    from backend.crm.tasks import import_commit

    _require_own(actor, run)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != ImportRunStatus.ANALYSED:
            return locked
        locked.status = ImportRunStatus.COMMITTING
        locked.save(update_fields=["status"])
        run_id, user_id = locked.pk, actor.pk
        transaction.on_commit(lambda: import_commit.delay(run_id, user_id))
    return locked


def _commit_chunk(*, actor, run: ImportRun, rows: list, index, done: int, one_by_one: bool = False) -> None:
    """One chunk in one transaction: its records, their audit events, the rows' outcomes and the run's
    progress commit together, so an interrupted commit resumes at the first chunk not written."""
    with transaction.atomic():
        commit_rows(actor=actor, entity=run.entity, rows=rows, index=index, one_by_one=one_by_one)
        _save_outcomes(rows)
        ImportRun.objects.filter(pk=run.pk).update(done=done)


def _save_outcomes(rows: list) -> None:
    """The rows' outcome, result and error: one UPDATE from arrays on PostgreSQL (bulk_update's CASE per
    row costs more than the chunk's own writes), bulk_update elsewhere."""
    if connection.vendor != "postgresql":
        ImportRow.objects.bulk_update([ImportRow(pk=row.pk, outcome=row.outcome, result_id=row.result_id,
                                                 error=row.error or "") for row in rows],
                                      ["outcome", "result_id", "error"])
        return
    table = connection.ops.quote_name(ImportRow._meta.db_table)
    connection.ensure_connection()
    # the arrays bound as binary parameters (Django's cursor would quote 20,000 values into the SQL text)
    with psycopg.Cursor(connection.connection) as cursor, connection.wrap_database_errors:
        cursor.execute(
            f"UPDATE {table} AS r SET outcome = v.outcome, result_id = v.result_id, error = v.error "  # noqa: S608
            f"FROM unnest(%b::bigint[], %b::text[], %b::bigint[], %b::text[]) AS v(id, outcome, result_id, error) "
            f"WHERE r.id = v.id",
            [[row.pk for row in rows], [str(row.outcome) for row in rows], [row.result_id for row in rows],
             [row.error or "" for row in rows]])


def import_run_commit(*, actor, run: ImportRun, progress: Callable[[int, int], None] | None = None,
                      chunk: int = BATCH, one_by_one: bool = False) -> ImportRun:
    """Write the run's rows not yet written, in order, BATCH rows at a time (each chunk one transaction:
    customers in bulk, other records through the CRM services; every record audited under `actor`);
    `done` and `progress(done, total)` follow each chunk, so a page can show a bar and an interrupted
    commit resumes at the first chunk not written. Ends with the outcome counts. `one_by_one` writes
    every row through the services alone (what a chunk does when someone else wrote one of its records
    meanwhile)."""
    _require_own(actor, run)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == ImportRunStatus.COMMITTED:
            return locked
        locked.status = ImportRunStatus.COMMITTING
        locked.save(update_fields=["status"])
    with _fewer_full_collections():
        _commit_pending(actor=actor, run=locked, progress=progress, chunk=chunk, one_by_one=one_by_one)
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=locked.pk)
        outcomes = dict(Counter(ImportRow.objects.filter(run=locked).values_list("outcome", flat=True)))
        locked.status = ImportRunStatus.COMMITTED
        locked.finished_at = timezone.now()
        locked.done = locked.total
        locked.report = {**locked.report, "outcomes": outcomes}
        locked.save()
        audit.record("crm.import.committed", actor=actor, target=locked,
                     detail={"entity": locked.entity, "filename": locked.filename, "outcomes": outcomes})
    return locked


class PendingRow:
    """A run's row as the commit reads it: what writing it needs (its number, data and decision) and the
    outcome, result and error the commit sets on it. Not an ImportRow: a 100,000-row commit built a model
    object a row (with its JSON converted through the field) for four values; the dry run's issues and
    matches are not read at all."""

    __slots__ = ("pk", "number", "data", "decision", "outcome", "result_id", "error")

    def __init__(self, pk: int, number: int, data: dict, decision: str):
        self.pk, self.number, self.data, self.decision = pk, number, data, decision
        self.outcome, self.result_id, self.error = ImportOutcome.PENDING, None, ""


def _pending_rows(run: ImportRun, *, after: int, limit: int) -> list[PendingRow]:
    """The run's next `limit` rows not yet written, after row number `after`, in order."""
    if connection.vendor != "postgresql":
        return [PendingRow(pk, number, data, decision) for pk, number, data, decision in
                ImportRow.objects.filter(run=run, outcome=ImportOutcome.PENDING, number__gt=after)
                .order_by("number").values_list("pk", "number", "data", "decision")[:limit]]
    table = connection.ops.quote_name(ImportRow._meta.db_table)
    loads = json.JSONDecoder().decode
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, number, data::text, decision FROM {table} "  # noqa: S608 - names only
            f"WHERE run_id = %s AND outcome = %s AND number > %s ORDER BY number LIMIT %s",
            [run.pk, str(ImportOutcome.PENDING), after, limit])
        return [PendingRow(pk, number, loads(data), decision) for pk, number, data, decision in cursor.fetchall()]


def _commit_pending(*, actor, run: ImportRun, progress, chunk: int, one_by_one: bool) -> None:
    locked = run
    index = analysis.RecordIndex(locked.entity)
    done = locked.total - ImportRow.objects.filter(run=locked, outcome=ImportOutcome.PENDING).count()
    after = 0
    while True:
        batch = _pending_rows(locked, after=after, limit=chunk)
        if not batch:
            break
        after = batch[-1].number
        try:
            _commit_chunk(actor=actor, run=locked, rows=batch, index=index, done=done + len(batch),
                          one_by_one=one_by_one)
        except IntegrityError:
            # Someone else wrote one of the chunk's records meanwhile: the chunk rolled back whole; write
            # it again row by row through the services, against the database as it is now.
            index = analysis.RecordIndex(locked.entity)
            _commit_chunk(actor=actor, run=locked, rows=batch, index=index, done=done + len(batch),
                          one_by_one=True)
        done += len(batch)
        if progress is not None:
            progress(done, locked.total)
