"""Importing the folder of old quotes and contracts (seed 004): a ZIP or folder and a manifest made here;
each file a document linked to its customer and quote, content already in Dossier reported and not stored
twice, failed rows listed with the reason, and an interrupted import resumed where it stopped."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.imports.documents import import_documents
from backend.crm.models import DocumentLink, ImportOutcome, ImportRow, ImportRunStatus
from backend.documents.models import Document, DocumentVersion
from tests import factories
from tests.crm.factories import CustomerFactory, QuoteFactory

pytestmark = pytest.mark.django_db

MANIFEST = (
    "文件,客户,类型,日期,报价单号\r\n"
    "报价/QT-2019-001.pdf,华东精机,报价单,2019年3月2日,Q-2019-001\r\n"
    "合同/contract-a.pdf,华东精机,合同,2019-05-01,\r\n"
    "old-copy.pdf,华东精机,合同,,\r\n"
    "missing.pdf,华东精机,合同,,\r\n"
    "合同/contract-a.pdf,不认识的公司,合同,,\r\n"
)


@pytest.fixture
def world(db):
    admin = factories.UserFactory(username="importer", role=Role.ADMIN)
    rep = factories.UserFactory(username="rep")
    customer = CustomerFactory(name="华东精机", region="上海", owner=rep)
    quote = QuoteFactory(customer=customer, number="Q-2019-001", owner=rep)
    existing = factories.document(rep, title="Already here", content=factories.pdf_bytes("old copy"))
    return {"admin": admin, "rep": rep, "customer": customer, "quote": quote, "existing": existing}


def _zip(tmp_path):
    path = tmp_path / "laptop.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("报价/QT-2019-001.pdf", factories.pdf_bytes("quote 2019-001"))
        archive.writestr("合同/contract-a.pdf", factories.pdf_bytes("contract a"))
        archive.writestr("old-copy.pdf", factories.pdf_bytes("old copy"))
    return path


def test_a_zip_with_its_manifest_becomes_linked_documents_with_failures_and_duplicates_listed(world, tmp_path):
    # given a ZIP of old files and a GBK manifest naming their customer, kind, date and quote
    admin = world["admin"]

    # when the administrator imports them
    run = import_documents(actor=admin, source_path=_zip(tmp_path), manifest=MANIFEST.encode("gbk"),
                           manifest_name="清单.csv")

    # then two documents were created and linked to the customer, the quote's file to its quote as well
    rows = {row.number: row for row in ImportRow.objects.filter(run=run)}
    assert run.status == ImportRunStatus.COMMITTED
    assert run.report["outcomes"] == {"created": 2, "duplicate": 1, "failed": 2}
    quote_doc = Document.objects.get(pk=rows[2].result_id)
    assert (quote_doc.kind, quote_doc.owner, quote_doc.title) == ("quote", admin, "QT-2019-001")
    assert "2019-03-02" in quote_doc.description
    world["quote"].refresh_from_db()
    assert world["quote"].document == quote_doc
    contract = Document.objects.get(pk=rows[3].result_id)
    assert contract.kind == "contract"
    assert set(DocumentLink.objects.filter(customer=world["customer"]).values_list("document_id", "target_type")) == {
        (quote_doc.pk, "customer"), (quote_doc.pk, "quote"), (contract.pk, "customer")}
    # and the content Dossier had already is reported, not stored twice
    assert (rows[4].outcome, rows[4].result_id) == (ImportOutcome.DUPLICATE, world["existing"].pk)
    assert DocumentVersion.objects.filter(sha256=world["existing"].valid_version.sha256).count() == 1
    # and the failed rows say why
    assert rows[5].outcome == ImportOutcome.FAILED and "No such file" in rows[5].error
    assert rows[6].outcome == ImportOutcome.FAILED and "不认识的公司" in rows[6].error
    # and every document was created under the importer, the run audited
    assert AuditEvent.objects.filter(event_type="document.created", actor=admin).count() == 2
    assert AuditEvent.objects.filter(event_type="crm.import.documents", actor=admin).count() == 1


def test_an_interrupted_import_resumes_where_it_stopped(world, tmp_path):
    # given an import interrupted after its first row
    admin = world["admin"]
    source = _zip(tmp_path)

    def stop_after_first(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_documents(actor=admin, source_path=source, manifest=MANIFEST.encode("gbk"), manifest_name="m.csv",
                         progress=stop_after_first)
    assert Document.objects.filter(owner=admin).count() == 1

    # when the same manifest is imported again
    run = import_documents(actor=admin, source_path=source, manifest=MANIFEST.encode("gbk"), manifest_name="m.csv")

    # then the same run went on from the second row: nothing stored twice, nothing reported twice
    assert run.report["outcomes"] == {"created": 2, "duplicate": 1, "failed": 2}
    assert Document.objects.filter(owner=admin).count() == 2
    assert ImportRow.objects.filter(run=run).count() == 5


def test_the_command_imports_a_folder(world, tmp_path):
    # given a folder with one contract and its manifest
    folder = tmp_path / "old"
    (folder / "合同").mkdir(parents=True)
    (folder / "合同" / "c.pdf").write_bytes(factories.pdf_bytes("folder contract"))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,customer,kind,title\n合同/c.pdf,华东精机,contract,Old contract\n../escape.pdf,华东精机,contract,\n",
                        encoding="utf-8")
    out = io.StringIO()

    # when the command imports it
    call_command("import_documents", str(folder), "--manifest", str(manifest), "--user", "importer",
                 stdout=out, stderr=io.StringIO())

    # then the contract is a document of the customer's, and the path leaving the folder failed
    assert Document.objects.get(title="Old contract").crm_links.get().customer == world["customer"]
    assert '"created": 1' in out.getvalue() and '"failed": 1' in out.getvalue()


def test_a_zip_from_chinese_windows_with_gbk_names_is_read_and_a_bare_file_name_found(world, tmp_path):
    # given a ZIP whose member names are GBK without the UTF-8 flag (as Windows' own zip tool writes them),
    # and a manifest that names the file without its folder
    class GbkName(zipfile.ZipInfo):
        def _encodeFilenameFlags(self):
            return self.filename.encode("gbk"), self.flag_bits

    path = tmp_path / "windows.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(GbkName("报价/旧报价单.pdf"), factories.pdf_bytes("gbk named"))
    manifest = "文件,客户,类型\r\n旧报价单.pdf,华东精机,报价单\r\n".encode("gbk")

    # when it is imported
    run = import_documents(actor=world["admin"], source_path=path, manifest=manifest, manifest_name="m.csv")

    # then the file was found by its own name and imported with its Chinese title
    assert run.report["outcomes"] == {"created": 1}
    assert Document.objects.get(title="旧报价单").kind == "quote"
