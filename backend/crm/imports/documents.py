"""The folder of old quotes and contracts from a laptop: a manifest (CSV or XLSX, UTF-8 or GBK) names each
file's customer, kind, date and quote number; each file becomes a document (backend.documents.imports:
content already in Dossier is reported, not stored twice) linked to its customer, and to its quote when
the number matches one. A row that fails is listed with the reason. The run is resumable: importing the
same manifest again continues an interrupted run from the rows not yet done."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import PurePosixPath

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.audit import services as audit
from backend.common.errors import DomainError, InvalidInput
from backend.common.text import clean_line
from backend.crm.imports import analysis
from backend.crm.imports.cleaning import name_key, normalised
from backend.crm.imports.commit import _reason
from backend.crm.imports.fields import Field, guess_mapping
from backend.crm.imports.reading import read_table
from backend.crm.imports.runs import _require_importer
from backend.crm.models import Customer, ImportEntity, ImportOutcome, ImportRow, ImportRun, ImportRunStatus, Quote
from backend.crm.services.links import document_link_create
from backend.crm.services.quotes import quote_attach_document
from backend.documents.imports import FileSource, document_import_file
from backend.documents.models import Classification, DocumentKind

MANIFEST_FIELDS = (
    Field("file", _("File"), True, ("file", "filename", "file name", "path", "文件", "文件名", "路径")),
    Field("customer", _("Customer"), True, ("customer", "customer name", "company", "客户", "客户名称", "公司")),
    Field("customer_code", _("Customer code or tax id"), False, ("customer code", "tax id", "客户编号", "税号")),
    Field("region", _("Region"), False, ("region", "地区", "区域")),
    Field("kind", _("Kind"), False, ("kind", "type", "document type", "类型", "文件类型", "种类")),
    Field("date", _("Date"), False, ("date", "日期", "签订日期", "报价日期")),
    Field("quote", _("Quote number"), False, ("quote", "quote number", "quote no", "报价单号", "报价编号")),
    Field("title", _("Title"), False, ("title", "标题", "名称")),
)
_KINDS = {"contract": DocumentKind.CONTRACT, "合同": DocumentKind.CONTRACT, "quote": DocumentKind.QUOTE,
          "报价": DocumentKind.QUOTE, "报价单": DocumentKind.QUOTE, "bid": DocumentKind.BID, "tender": DocumentKind.BID,
          "投标": DocumentKind.BID, "标书": DocumentKind.BID, "productmaterial": DocumentKind.PRODUCT_MATERIAL,
          "product_material": DocumentKind.PRODUCT_MATERIAL, "产品资料": DocumentKind.PRODUCT_MATERIAL,
          "other": DocumentKind.OTHER, "其他": DocumentKind.OTHER}


def _fields_of_row(raw: list[str], mapping: dict[str, int]) -> dict:
    data = {field.name: normalised(raw[mapping[field.name]]) if field.name in mapping and mapping[field.name] < len(raw)
            else "" for field in MANIFEST_FIELDS}
    issues: list[str] = []
    data["date"] = analysis._date(data["date"], "date", issues)
    data["kind_value"] = _KINDS.get(name_key(data["kind"]), "") if data["kind"] else DocumentKind.OTHER
    data["issues"] = issues
    return data


def _start(actor, *, manifest: bytes, manifest_name: str, source_name: str) -> ImportRun:
    """The run for this manifest: the importer's unfinished one with the same manifest, or a new one."""
    sha256 = hashlib.sha256(manifest).hexdigest()
    unfinished = ImportRun.objects.filter(created_by=actor, entity=ImportEntity.DOCUMENT, file_sha256=sha256,
                                          status=ImportRunStatus.COMMITTING).order_by("-id").first()
    if unfinished is not None:
        return unfinished
    table = read_table(manifest, filename=manifest_name)
    mapping = guess_mapping_manifest(table.headers)
    missing = [field.name for field in MANIFEST_FIELDS if field.required and field.name not in mapping]
    if missing:
        message = f"The manifest needs a column for: {', '.join(missing)}."
        raise InvalidInput(message, fields={"manifest": [message]})
    with transaction.atomic():
        run = ImportRun.objects.create(
            entity=ImportEntity.DOCUMENT, created_by=actor, filename=clean_line(manifest_name)[:300] or "-",
            file_sha256=sha256, encoding=table.encoding, mapping=mapping, status=ImportRunStatus.COMMITTING,
            total=len(table.rows), report={"headers": table.headers, "source": clean_line(source_name)[:300]})
        ImportRow.objects.bulk_create([
            ImportRow(run=run, number=number, data=_fields_of_row(raw, mapping))
            for number, raw in enumerate(table.rows, start=2)])
    return run


def guess_mapping_manifest(headers: list[str]) -> dict[str, int]:
    keys = [name_key(header) for header in headers]
    mapping: dict[str, int] = {}
    for field in MANIFEST_FIELDS:
        names = {name_key(field.name)} | {name_key(synonym) for synonym in field.synonyms}
        for index, key in enumerate(keys):
            if key in names and index not in mapping.values():
                mapping[field.name] = index
                break
    return mapping


def _import_row(actor, row: ImportRow, source: FileSource, index: analysis.RecordIndex) -> None:
    data = row.data
    if not data["file"]:
        raise InvalidInput("The row names no file.")
    if not data["kind_value"]:
        raise InvalidInput(f"Unknown kind “{data['kind']}”: contract, quote, bid, product_material or other.")
    customer_id = index.customer_named(data)
    if customer_id is None:
        raise InvalidInput(f"No customer “{data['customer']}” (check its name, region or code).")
    customer = Customer.objects.get(pk=customer_id)
    quote = Quote.objects.filter(number=data["quote"]).first() if data["quote"] else None
    if quote is not None and quote.customer_id != customer.pk:
        raise InvalidInput(f"Quote {data['quote']} belongs to another customer.")
    description = " · ".join(part for part in (
        f"{PurePosixPath(data['file']).name}", f"{data['date']}" if data["date"] else "",
        data["quote"] if data["quote"] and quote is None else "") if part)
    with transaction.atomic():
        imported = document_import_file(actor=actor, source=source, name=data["file"], title=data["title"],
                                        kind=data["kind_value"], classification=Classification.INTERNAL,
                                        description=description)
        row.result_id = imported.document.pk
        if not imported.created:
            row.outcome = ImportOutcome.DUPLICATE
            row.error = f"The same content is document #{imported.document.pk} already."
            return
        document = imported.document
        document_link_create(actor=actor, document=document, target=customer)
        if quote is not None:
            if quote.document_id is None and document.kind == DocumentKind.QUOTE:
                quote_attach_document(actor=actor, quote=quote, document=document)
            else:
                document_link_create(actor=actor, document=document, target=quote)
        row.outcome = ImportOutcome.CREATED
        row.error = ""
        row.save(update_fields=["outcome", "result_id", "error"])


def import_documents(*, actor, source_path, manifest: bytes, manifest_name: str,
                     progress: Callable[[int, int], None] | None = None) -> ImportRun:
    """Import the files a manifest names from a folder or ZIP (see the module's docstring). Returns the run;
    each row's outcome: created, duplicate (content already in Dossier) or failed (with the reason)."""
    _require_importer(actor)
    with FileSource(source_path) as source:
        run = _start(actor, manifest=manifest, manifest_name=manifest_name, source_name=str(source_path))
        index = analysis.RecordIndex(ImportEntity.DOCUMENT)
        pending = list(ImportRow.objects.filter(run=run, outcome=ImportOutcome.PENDING).order_by("number"))
        done = run.total - len(pending)
        for row in pending:
            try:
                _import_row(actor, row, source, index)
            except DomainError as error:
                row.outcome, row.error = ImportOutcome.FAILED, _reason(error)[:500]
            except OSError as error:
                row.outcome, row.error = ImportOutcome.FAILED, f"The file cannot be read: {error}"[:500]
            row.save(update_fields=["outcome", "result_id", "error"])
            done += 1
            ImportRun.objects.filter(pk=run.pk).update(done=done)
            if progress is not None:
                progress(done, run.total)
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        outcomes = dict(Counter(ImportRow.objects.filter(run=run).values_list("outcome", flat=True)))
        run.status, run.finished_at, run.done = ImportRunStatus.COMMITTED, timezone.now(), run.total
        run.report = {**run.report, "outcomes": outcomes}
        run.save()
        audit.record("crm.import.documents", actor=actor, target=run,
                     detail={"manifest": run.filename, "source": run.report.get("source", ""), "outcomes": outcomes})
    return run
