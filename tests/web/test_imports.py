"""The import wizard's pages: only importers get them (404 for everyone else, a run is its importer's
own), the dry run's report in both languages, the decisions, the commit (audited, with its progress), and
the old files' ZIP with its manifest."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import Customer, ImportRow, ImportRun, ImportRunStatus
from backend.documents.models import Document
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

CSV = ("客户名称,地区,电话,邮箱\n"
       "ＡＢＣ精密,江苏,138 0013 8000,bad@@x\n"
       "ABC精密,江苏,,\n"
       "老客户,上海,,\n").encode("gbk")


@pytest.fixture
def admin():
    return factories.UserFactory(username="importer", role=Role.ADMIN)


def _upload(client, data: bytes = CSV, entity: str = "customer"):
    return client.post("/imports/", {"entity": entity, "file": SimpleUploadedFile("old.csv", data, "text/csv")})


@pytest.mark.parametrize("role", [Role.SALES, Role.SERVICE, Role.COMPLIANCE, Role.STAFF])
def test_the_wizard_is_not_there_for_those_who_may_not_import(role, admin):
    # given a member of staff who may not import, and a run of the administrator's
    user = factories.UserFactory(role=role)
    run_response = _upload(client_for(admin))
    run = ImportRun.objects.get()
    client = client_for(user)

    # then every page of the wizard is a 404 for them, and nothing is written
    assert run_response.status_code == 302
    assert client.get("/imports/").status_code == 404
    assert _upload(client).status_code == 404
    for path in (f"/imports/{run.pk}/", f"/imports/{run.pk}/progress/"):
        assert client.get(path).status_code == 404
    for path in (f"/imports/{run.pk}/commit/", f"/imports/{run.pk}/decide/", f"/imports/{run.pk}/map/",
                 f"/imports/{run.pk}/decide-where/"):
        assert client.post(path).status_code == 404
    assert ImportRun.objects.count() == 1 and not Customer.objects.filter(name="ABC精密").exists()
    assert "nav-imports" not in client.get("/products/").content.decode()


def test_another_importers_run_is_not_there(admin):
    # given two administrators, and a run of the first
    _upload(client_for(admin))
    run = ImportRun.objects.get()
    other = client_for(factories.UserFactory(role=Role.ADMIN))
    # then the second gets a 404 for it
    assert other.get(f"/imports/{run.pk}/").status_code == 404
    assert other.post(f"/imports/{run.pk}/commit/").status_code == 404


@pytest.mark.parametrize("language,expected", [("en", "Duplicate of an earlier row"), ("zh-hans", "与前面的行重复")])
def test_the_dry_run_shows_the_cleaning_report_in_the_readers_language(admin, language, expected):
    # given an administrator on the import page (the menu shows it)
    client = client_for(admin, language)
    assert "nav-imports" in client.get("/imports/").content.decode()

    # when they upload a dirty GBK file
    response = _upload(client)
    page = client.get(response["Location"])

    # then the report names what was found, in their language; nothing was written but the run
    text = page.content.decode()
    assert page.status_code == 200 and expected in text
    assert 'data-testid="decision-3"' in text
    assert not Customer.objects.filter(name="ABC精密").exists()
    assert AuditEvent.objects.filter(event_type="crm.import.analysed", actor=admin).exists()


def test_decisions_and_the_commit_write_through_the_services_and_report_progress(admin, django_capture_on_commit_callbacks):
    # given a dry run of a file whose third row is a customer already in Dossier
    CustomerFactory(name="老客户", region="上海", owner=admin)
    client = client_for(admin)
    _upload(client)
    run = ImportRun.objects.get()

    # when the importer skips the half-width duplicate and commits (as the page's script does)
    assert client.post(f"/imports/{run.pk}/decide/", {"decision_3": "skip", "show": "all"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/imports/{run.pk}/commit/", HTTP_ACCEPT="application/json")
    # (the rows are written by the Celery task queued on commit: here, run in this process)
    assert response.status_code == 200 and response.json()["status"] == ImportRunStatus.COMMITTING
    assert client.get(f"/imports/{run.pk}/").content.decode().count('http-equiv="refresh"') == 1
    assert len(queued) == 1
    queued[0]()

    # then the commit answered with its progress, the new customer exists, audited under the importer
    assert client.get(f"/imports/{run.pk}/progress/").json() == {"done": 3, "total": 3, "status": "committed"}
    # and committing again changes nothing
    assert client.post(f"/imports/{run.pk}/commit/", HTTP_ACCEPT="application/json").json()["status"] == "committed"
    customer = Customer.objects.get(name="ABC精密")
    assert AuditEvent.objects.filter(event_type="crm.customer.created", actor=admin, target_id=str(customer.pk)).exists()
    outcomes = {row.number: row.outcome for row in ImportRow.objects.filter(run=run)}
    assert outcomes == {2: "created", 3: "skipped", 4: "unchanged"}
    assert "ABC精密" in client.get(f"/imports/{run.pk}/?show=all").content.decode()


def test_a_file_that_is_not_text_or_a_workbook_is_refused_on_the_form(admin):
    response = _upload(client_for(admin), data=b"\xff\xfe\x00\x81\x82garbage")
    assert response.status_code == 400
    assert "neither UTF-8 nor GBK" in response.content.decode()


def test_a_zip_and_its_manifest_become_documents(admin):
    # given a customer, and a ZIP of one old contract with its manifest
    CustomerFactory(name="华东精机", region="上海", owner=admin)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("c.pdf", factories.pdf_bytes("web zip contract"))
    manifest = "file,customer,kind\nc.pdf,华东精机,contract\nnope.pdf,华东精机,contract\n".encode()

    # when the administrator sends them
    response = client_for(admin).post("/imports/documents/", {
        "archive": SimpleUploadedFile("old.zip", archive.getvalue(), "application/zip"),
        "manifest": SimpleUploadedFile("manifest.csv", manifest, "text/csv")})

    # then the file is a document of the customer's, and the page lists the failed row
    assert response.status_code == 302
    document = Document.objects.get(title="c")
    assert document.crm_links.get().customer.name == "华东精机"
    page = client_for(admin).get(response["Location"] + "?show=failed").content.decode()
    assert "nope.pdf" in page


def test_every_row_of_a_kind_is_decided_at_once(admin):
    # given a dry run with a repeat of an earlier row
    client = client_for(admin)
    _upload(client)
    run = ImportRun.objects.get()

    # when the importer sets every repeated row to "skip"
    response = client.post(f"/imports/{run.pk}/decide-where/", {"where": "duplicate_in_file", "decision": "skip"})

    # then that row (and only it) is skipped, and the change is audited
    assert response.status_code == 302
    assert {row.number: row.decision for row in ImportRow.objects.filter(run=run)} == {
        2: "create", 3: "skip", 4: "create"}
    assert AuditEvent.objects.filter(event_type="crm.import.decided", actor=admin).exists()
    # and a category that does not exist is refused, not guessed
    client.post(f"/imports/{run.pk}/decide-where/", {"where": "everything", "decision": "skip"})
    assert ImportRow.objects.filter(run=run, decision="skip").count() == 1
