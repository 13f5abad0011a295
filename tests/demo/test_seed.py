"""`manage.py seed_demo`: the demo company, created through the real services, once."""

from __future__ import annotations

import hashlib
import io
import os
import re

import magic
import pytest
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.accounts.models import Department, Role, User
from backend.audit.models import AuditEvent
from backend.crm.models import Campaign
from backend.documents.store import object_store
from backend.documents.models import Classification, Document, DocumentKind, DocumentVersion, Tag, VersionStatus
from demo import routines, seed

EXPECTED_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def local_store(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    return tmp_path / "objects"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Thirteen PBKDF2 hashes per seed would dominate the run time; the hasher is not what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def stored_bytes(version: DocumentVersion) -> bytes:
    return b"".join(object_store().iter_verified(version.object_key, sha256=version.sha256))


def demo_document(key: str) -> Document:
    return Document.objects.get(idempotency_key=seed.KEY_PREFIX + key)


def snapshot(objects_dir) -> dict[str, int]:
    return {
        "departments": Department.objects.count(),
        "users": User.objects.count(),
        "documents": Document.objects.count(),
        "versions": DocumentVersion.objects.count(),
        "approved": DocumentVersion.objects.filter(status=VersionStatus.APPROVED).count(),
        "user_grants": DocumentUserObjectPermission.objects.count(),
        "group_grants": DocumentGroupObjectPermission.objects.count(),
        "tags": Tag.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "stored_objects": sum(len(files) for _, _, files in os.walk(objects_dir)),
    }


@pytest.mark.django_db
def test_seed_creates_departments_users_and_documents_of_every_kind_and_classification():
    # given an empty database
    assert not Document.objects.exists()

    # when the demo is seeded
    output = run_seed()

    # then the departments and people exist; the admin uses the admin site by role, not as a superuser
    assert set(Department.objects.values_list("code", flat=True)) == {d.code for d in seed.DEPARTMENTS}
    staff = User.objects.exclude(role=Role.PORTAL)
    assert set(staff.values_list("username", flat=True)) == {p.username for p in seed.PEOPLE}
    # and one customer contact can sign in to the portal (known by their e-mail address)
    portal = User.objects.get(role=Role.PORTAL)
    assert portal.is_active and portal.username == portal.email and portal.portal_account.activated_at
    admin = User.objects.get(username="admin")
    assert not admin.is_superuser and admin.is_staff and admin.role == Role.ADMIN
    assert not User.objects.filter(is_superuser=True).exists()
    assert AuditEvent.objects.filter(event_type="accounts.user.created", target_id=str(admin.pk)).exists()
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    wang = User.objects.get(username="wang.fang")
    assert wang.department.code == "sales-east" and wang.groups.filter(pk=wang.department.group_id).exists()

    # and every planned document, across all kinds and classifications, each with its audit trail
    plan = seed.demo_plan()
    planned = Document.objects.filter(idempotency_key__startswith=seed.KEY_PREFIX)
    assert planned.count() == len(plan) >= 40
    assert set(planned.values_list("kind", flat=True)) == set(DocumentKind.values)
    assert set(planned.values_list("classification", flat=True)) == set(Classification.values)
    assert DocumentVersion.objects.filter(document__in=planned).count() == sum(len(p.versions) for p in plan)
    assert {v.mime_type for v in DocumentVersion.objects.filter(document__in=planned)} == set(EXPECTED_TYPES.values())
    # besides them, only the CRM demo's quote PDFs, one document each (drawn by the quote PDF service)
    drawn = Document.objects.exclude(pk__in=planned)
    assert drawn.exists() and set(drawn.values_list("kind", flat=True)) == {DocumentKind.QUOTE}
    assert set(DocumentVersion.objects.filter(document__in=drawn).values_list("mime_type", flat=True)) == {
        "application/pdf"}
    assert AuditEvent.objects.filter(event_type="document.created").count() == len(plan) + drawn.count()

    # and the version story: several versions, approvals, a superseded and an expired one
    assert Document.objects.filter(version_count__gte=3).count() >= 2
    statuses = [v.effective_status for v in DocumentVersion.objects.all()]
    assert statuses.count(VersionStatus.EXPIRED) == 1
    assert VersionStatus.SUPERSEDED in statuses
    assert demo_document("price-list-2025").valid_version.effective_status == VersionStatus.EXPIRED
    bid = demo_document("bid-binhai")
    assert bid.valid_version.number == 2 and bid.versions.get(number=3).status == VersionStatus.DRAFT

    # and a colleague holds a check-out, and restricted documents carry user and department grants
    contract = demo_document("contract-huadong")
    assert contract.owner.username == "wang.fang"
    assert contract.lock_holder().username == "sarah.chen"
    restricted = Document.objects.filter(classification__in=[Classification.CONFIDENTIAL, Classification.SECRET])
    assert DocumentUserObjectPermission.objects.filter(content_object__in=restricted).count() >= 5
    assert DocumentGroupObjectPermission.objects.filter(
        content_object__in=restricted, group__department__isnull=False
    ).count() >= 5

    # and the company's routines were seeded after the CRM (demo/routines.py; tests/demo/test_routines.py)
    assert Campaign.objects.filter(theme=routines.CAMPAIGN_THEME).exists()

    # and the command printed the demo logins
    assert "dossier-demo" in output
    for person in seed.PEOPLE:
        assert person.username in output


@pytest.mark.django_db
def test_running_the_seed_twice_creates_nothing_new(local_store):
    # given a seeded demo
    run_seed()
    before = snapshot(local_store)

    # when the command runs again (as `./dossier demo` does on every start)
    output = run_seed()

    # then nothing was added: no rows, no audit events, no stored objects
    assert snapshot(local_store) == before
    assert "already there" in output


@pytest.mark.django_db
def test_an_interrupted_seed_is_completed_by_the_next_run(monkeypatch):
    # given a seed that stopped after its first twelve documents
    full_plan = seed.demo_plan()
    monkeypatch.setattr(seed, "demo_plan", lambda: full_plan[:12])
    seed.seed_demo()
    assert Document.objects.count() == 12
    assert not seed.demo_present()
    monkeypatch.undo()

    # when the command runs again
    run_seed()

    # then the rest was added, nothing twice
    keys = list(Document.objects.filter(idempotency_key__startswith=seed.KEY_PREFIX)
                .values_list("idempotency_key", flat=True))
    assert sorted(keys) == sorted(p.idempotency_key for p in full_plan)
    assert DocumentVersion.objects.filter(document__idempotency_key__in=keys).count() == sum(
        len(p.versions) for p in full_plan)
    assert seed.demo_present()


@pytest.mark.django_db
def test_every_stored_version_is_the_type_it_claims():
    # given a seeded demo
    run_seed()

    # when each version's bytes are read back from the object store and sniffed by libmagic
    versions = list(DocumentVersion.objects.all())
    assert versions

    # then the content is what the row and the file name say it is
    for version in versions:
        data = stored_bytes(version)
        assert len(data) == version.size
        assert hashlib.sha256(data).hexdigest() == version.sha256
        extension = os.path.splitext(version.filename)[1].lower()
        detected = magic.from_buffer(data, mime=True)
        assert detected == version.mime_type == EXPECTED_TYPES[extension], version.filename


@pytest.mark.django_db
def test_chinese_pdf_text_is_extractable():
    # given a seeded demo
    run_seed()

    # when the text of the approved Chinese sales contract is extracted with pypdf
    contract = demo_document("contract-huadong")
    reader = PdfReader(io.BytesIO(stored_bytes(contract.valid_version)))
    text = "\n".join(page.extract_text() for page in reader.pages)

    # then it is real Chinese text, with the parties and the payment terms
    assert len(HAN.findall(text)) > 200
    assert "销售合同" in text
    assert "上海华东精密机械有限公司" in text
    assert "付款方式" in text and "net 60" in text

    # and every demo PDF yields text
    for version in DocumentVersion.objects.filter(mime_type="application/pdf"):
        first_page = PdfReader(io.BytesIO(stored_bytes(version))).pages[0].extract_text()
        assert len(first_page.strip()) > 100, version.filename


@pytest.mark.django_db
def test_demo_users_can_log_in_with_the_demo_password():
    # given a seeded demo
    run_seed()

    # when each demo user signs in with the demo password, then it works
    for person in seed.PEOPLE:
        assert Client().login(username=person.username, password=seed.DEMO_PASSWORD), person.username

    # and a wrong password does not
    assert not Client().login(username="wang.fang", password="not-the-demo-password")


def test_the_generated_files_are_the_same_on_every_run():
    # given two independently built plans
    first, second = seed.demo_plan(), seed.demo_plan()

    # when every version of both is rendered
    def digests(plan):
        return [hashlib.sha256(step.render()).hexdigest() for document in plan for step in document.versions]

    # then the bytes are identical (so a re-seeded store deduplicates)
    assert digests(first) == digests(second)
