"""The import wizard (staff whose role may import, `may_import_records`; everyone else gets a 404):
upload a CSV or XLSX of customers, contacts, products or opportunities; read the dry run's cleaning report;
map columns; decide per row (merge, create, skip); commit with a progress bar (static/web/imports.js asks
for the progress while the commit runs; without JavaScript the page comes back when it is done). And the
folder of old files: a ZIP and its manifest. The work is done by backend.crm.imports (checked and audited
there)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy.crm import may_import_records
from backend.common.errors import NotFound
from backend.crm.imports import runs, selectors
from backend.crm.imports.documents import MANIFEST_FIELDS, import_documents
from backend.crm.imports.fields import RECORD_ENTITIES, fields_of
from backend.crm.models import ImportDecision, ImportEntity, ImportOutcome, ImportRunStatus
from backend.ui.errors import Refusal, show_on_form
from backend.web.pages import staff_page

ENTITY_CHOICES = [(str(entity), ImportEntity(entity).label) for entity in RECORD_ENTITIES]
ROW_FILTERS = (("issues", gettext_lazy("Rows with issues")), ("all", gettext_lazy("All rows")),
               ("failed", gettext_lazy("Failed rows")))


class ImportForm(forms.Form):
    entity = forms.ChoiceField(label=gettext_lazy("The file holds"), choices=ENTITY_CHOICES)
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"),
                           help_text=gettext_lazy("UTF-8 or GBK text, or an Excel workbook (its first sheet). "
                                                  "The first row names the columns."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than the import limit."))
        return upload


class DocumentsForm(forms.Form):
    archive = forms.FileField(label=gettext_lazy("ZIP of the files"))
    manifest = forms.FileField(label=gettext_lazy("Manifest (CSV or XLSX)"),
                               help_text=gettext_lazy("One row a file: file (its path in the ZIP), customer, kind, "
                                                      "date, quote number, title."))


def _require_importer(user) -> None:
    if not may_import_records(user):
        raise NotFound()


def _start_page(request, form: ImportForm, documents_form: DocumentsForm, status: int = 200):
    return render(request, "web/imports.html", {
        "section": "imports", "form": form, "documents_form": documents_form,
        "runs": selectors.import_runs_of(user=request.user), "manifest_fields": MANIFEST_FIELDS,
    }, status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def import_start(request):
    _require_importer(request.user)
    if request.method == "GET":
        return _start_page(request, ImportForm(), DocumentsForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _start_page(request, form, DocumentsForm(), status=400)
    upload = form.cleaned_data["file"]
    with Refusal() as refusal:
        run = runs.import_run_analyse(actor=request.user, entity=form.cleaned_data["entity"], filename=upload.name,
                                      data=upload.read())
    if refusal:
        show_on_form(form, refusal.error)
        return _start_page(request, form, DocumentsForm(), status=refusal.status)
    return redirect("web:import_run", run_id=run.pk)


@staff_page
@require_POST
def import_documents_start(request):
    _require_importer(request.user)
    form = DocumentsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _start_page(request, ImportForm(), form, status=400)
    manifest = form.cleaned_data["manifest"]
    archive = form.cleaned_data["archive"]
    with tempfile.TemporaryDirectory(prefix="dossier-import-") as folder:
        path = Path(folder) / "files.zip"
        with path.open("wb") as out:
            for chunk in archive.chunks():
                out.write(chunk)
        with Refusal() as refusal:
            run = import_documents(actor=request.user, source_path=path, manifest=manifest.read(),
                                   manifest_name=manifest.name)
    if refusal:
        show_on_form(form, refusal.error)
        return _start_page(request, ImportForm(), form, status=refusal.status)
    return redirect("web:import_run", run_id=run.pk)


def _labelled_issue(issue: str) -> str:
    code, _, field = issue.partition(":")
    label = str(runs.ISSUE_LABELS.get(code, code))
    return f"{label} ({field})" if field else label


@staff_page
@require_GET
def import_run(request, run_id: int):
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    show = request.GET.get("show", "issues" if run.status == ImportRunStatus.ANALYSED else "all")
    if show not in dict(ROW_FILTERS):
        show = "issues"
    rows = selectors.import_rows_for_review(run=run, only="" if show == "all" else show)
    shown_fields = [] if run.entity == ImportEntity.DOCUMENT else [field.name for field in fields_of(run.entity)]
    for row in rows:
        row.issue_labels = [_labelled_issue(issue) for issue in row.issues]
        row.shown_values = [row.data[name] for name in shown_fields if row.data.get(name)]
    report = run.report or {}
    issue_counts = [(str(runs.ISSUE_LABELS.get(code, code)), count) for code, count in
                    sorted((report.get("issues") or {}).items())]
    decisions = report.get("decisions") or {}
    outcomes = report.get("outcomes") or {}
    headers = report.get("headers") or []
    documents = run.entity == ImportEntity.DOCUMENT
    mapping_fields = [] if documents else [
        {"name": field.name, "label": field.label, "required": field.required, "column": run.mapping.get(field.name)}
        for field in fields_of(run.entity)]
    return render(request, "web/import_run.html", {
        "section": "imports", "run": run, "rows": rows, "show": show, "filters": ROW_FILTERS,
        "issue_counts": issue_counts, "headers": list(enumerate(headers)), "mapping_fields": mapping_fields,
        "decision_counts": [(ImportDecision(key).label, decisions.get(key, 0)) for key in ImportDecision.values],
        "outcome_counts": [(ImportOutcome(key).label, value) for key, value in sorted(outcomes.items())],
        "decisions": ImportDecision.choices, "editable": run.status == ImportRunStatus.ANALYSED and not documents,
        "documents": documents, "rows_shown": selectors.ROWS_SHOWN,
        "percent": int(100 * run.done / run.total) if run.total else 100,
        "where_choices": [(code, _("All rows") if code == "all" else runs.ISSUE_LABELS[code])
                          for code in runs.DECIDE_WHERE],
    })


@staff_page
@require_POST
def import_run_map(request, run_id: int):
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    mapping = {field.name: request.POST.get(f"map_{field.name}", "") for field in fields_of(run.entity)}
    with Refusal() as refusal:
        runs.import_run_remap(actor=request.user, run=run, mapping=mapping)
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The rows were checked again with these columns."))
    return redirect("web:import_run", run_id=run.pk)


@staff_page
@require_POST
def import_run_decide(request, run_id: int):
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    decisions = {}
    for key, value in request.POST.items():
        if key.startswith("decision_") and key[9:].isdigit():
            decisions[int(key[9:])] = value
    with Refusal() as refusal:
        changed = runs.import_rows_decide(actor=request.user, run=run, decisions=decisions)
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Decisions saved (%(count)d changed).") % {"count": changed})
    return redirect(f"{reverse('web:import_run', args=[run.pk])}?show={request.POST.get('show', 'issues')}")


@staff_page
@require_POST
def import_run_decide_where(request, run_id: int):
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    with Refusal() as refusal:
        changed = runs.import_rows_decide_where(actor=request.user, run=run, issue=request.POST.get("where", ""),
                                                decision=request.POST.get("decision", ""))
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Decisions saved (%(count)d changed).") % {"count": changed})
    return redirect("web:import_run", run_id=run.pk)


@staff_page
@require_POST
def import_run_commit(request, run_id: int):
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    if run.entity == ImportEntity.DOCUMENT:
        raise NotFound()
    with Refusal() as refusal:
        runs.import_run_commit_later(actor=request.user, run=run)
    run.refresh_from_db()
    wants_json = "application/json" in request.headers.get("Accept", "")
    if refusal:
        if wants_json:
            return JsonResponse({"error": refusal.message}, status=refusal.status)
        messages.error(request, refusal.message)
    elif not wants_json and run.status == ImportRunStatus.COMMITTED:
        messages.success(request, _("The import is done."))
    if wants_json:
        return JsonResponse({"done": run.done, "total": run.total, "status": run.status})
    return redirect(f"{reverse('web:import_run', args=[run.pk])}?show=all")


@staff_page
@require_GET
def import_run_progress(request, run_id: int):
    run = selectors.import_run_get(user=request.user, run_id=run_id)
    return JsonResponse({"done": run.done, "total": run.total, "status": run.status})

