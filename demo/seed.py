"""The seeding pass: create whatever part of the demo (demo/people.py, demo/plan/) is missing.

Everything goes through the real services (accounts, documents, access), so
the bytes are in the configured object store and every write is in the audit
trail, exactly as if the demo users had done it themselves.

The pass converges: each step first looks for what it would create (documents
and later versions by their idempotency keys, grants and approvals by their
rows) and only renders and uploads what is not there yet. An interrupted seed
is finished by the next run. The last document of the plan is the marker that
the seed once completed; while it exists, `seed_demo()` returns at once and
never undoes what demo users changed since (a checked-in document stays
checked in, a deleted one stays deleted).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.test.utils import override_settings
from django.utils import timezone

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.access.policy import CODENAMES
from backend.access.services import document_permission_grant
from backend.accounts.models import Department, User
from backend.accounts.services import department_create, user_create
from backend.documents.models import Document, DocumentVersion, VersionStatus
from backend.documents.services import (
    UploadSource,
    document_checkout,
    document_create,
    document_version_approve,
    document_version_create,
)
from demo.people import DEMO_PASSWORD, DEPARTMENTS, PEOPLE
from demo.plan import demo_plan
from demo.plan.documents import FINAL_KEY, KEY_PREFIX, DocumentPlan, GrantPlan, VersionPlan

# The demo's checked-out document should still read "checked out" next week.
DEMO_CHECKOUT_SECONDS = 180 * 24 * 3600


@dataclass
class SeedReport:
    already_present: bool = False
    departments_created: int = 0
    users_created: list[str] = field(default_factory=list)
    users_kept: list[str] = field(default_factory=list)  # existed before the seed; left untouched
    documents_created: int = 0
    versions_created: int = 0
    approvals: int = 0
    grants: int = 0
    checkouts: int = 0


def demo_present() -> bool:
    """Whether a seed has once run to the end (the plan's last document exists)."""
    return Document.objects.filter(
        owner__username=PEOPLE[0].username, idempotency_key=KEY_PREFIX + FINAL_KEY
    ).exists()


def _ensure_departments(report: SeedReport) -> dict[str, Department]:
    departments = {d.code: d for d in Department.objects.filter(code__in=[spec.code for spec in DEPARTMENTS])}
    for spec in DEPARTMENTS:
        if spec.code not in departments:
            departments[spec.code] = department_create(actor=None, code=spec.code, name=spec.name)
            report.departments_created += 1
    return departments


def _ensure_users(report: SeedReport, departments: dict[str, Department]) -> dict[str, User]:
    users = {u.username: u for u in User.objects.filter(username__in=[person.username for person in PEOPLE])}
    for person in PEOPLE:
        if person.username in users:
            report.users_kept.append(person.username)
            continue
        # actor=None: the system seeds. The admin role uses Django's admin through its role
        # (backend/access/policy/admin.py), not as a superuser.
        user = user_create(
            actor=None,
            username=person.username,
            password=DEMO_PASSWORD,
            role=person.role,
            department=departments[person.department],
            display_name=person.display_name,
            email=person.email,
            preferred_language=person.language,
        )
        users[person.username] = user
        report.users_created.append(person.username)
    return users


def _upload(version: VersionPlan) -> UploadSource:
    data = version.render()
    return UploadSource(stream=io.BytesIO(data), filename=version.filename, declared_size=len(data))


def _has_grant(document: Document, grant: GrantPlan, principal) -> bool:
    codename = CODENAMES[grant.level]
    if grant.user is not None:
        rows = DocumentUserObjectPermission.objects.filter(user=principal)
    else:
        rows = DocumentGroupObjectPermission.objects.filter(group=principal)
    return rows.filter(content_object=document, permission__codename=codename).exists()


def _ensure_document(
    plan: DocumentPlan,
    *,
    users: dict[str, User],
    departments: dict[str, Department],
    report: SeedReport,
    today: dt.date,
) -> Document:
    document = _ensure_created(plan, owner=users[plan.owner], report=report)
    # Grants first: a later version may be uploaded or approved by someone who holds one.
    _ensure_grants(plan, document, users=users, departments=departments, report=report)
    _ensure_versions(plan, document, users=users, report=report, today=today)
    if plan.checked_out_by:
        _ensure_checkout(document, holder=users[plan.checked_out_by], report=report)
    return document


def _ensure_created(plan: DocumentPlan, *, owner: User, report: SeedReport) -> Document:
    """The document with its first version, found by its idempotency key or created."""
    document = Document.objects.filter(owner=owner, idempotency_key=plan.idempotency_key).first()
    if document is None:
        first = plan.versions[0]
        document, created = document_create(
            actor=owner,
            title=plan.title,
            kind=plan.kind,
            classification=plan.classification,
            upload=_upload(first),
            description=plan.description,
            tags=plan.tags,
            comment=first.comment,
            idempotency_key=plan.idempotency_key,
        )
        if created:
            report.documents_created += 1
            report.versions_created += 1
    return document


def _ensure_grants(
    plan: DocumentPlan,
    document: Document,
    *,
    users: dict[str, User],
    departments: dict[str, Department],
    report: SeedReport,
) -> None:
    for grant in plan.grants:
        principal = users[grant.user] if grant.user else departments[grant.department].group
        if not _has_grant(document, grant, principal):
            document_permission_grant(
                actor=users[plan.owner],
                document=document,
                level=grant.level,
                user=principal if grant.user else None,
                group=None if grant.user else principal,
            )
            report.grants += 1


def _ensure_versions(
    plan: DocumentPlan, document: Document, *, users: dict[str, User], report: SeedReport, today: dt.date
) -> None:
    """The later versions (by their idempotency keys), and the planned approvals of drafts."""
    for number, step in enumerate(plan.versions, start=1):
        key = f"{plan.idempotency_key}:v{number}"
        if number == 1:
            version = DocumentVersion.objects.get(document=document, number=1)
        else:
            version = DocumentVersion.objects.filter(document=document, idempotency_key=key).first()
            if version is None:
                version, created = document_version_create(
                    actor=users[step.by or plan.owner],
                    document=document,
                    upload=_upload(step),
                    comment=step.comment,
                    idempotency_key=key,
                )
                report.versions_created += int(created)
        if step.approve is not None and version.status == VersionStatus.DRAFT:
            version.document = document
            document_version_approve(
                actor=users[step.approve.by], version=version, valid_until=step.approve.valid_until(today)
            )
            report.approvals += 1


def _ensure_checkout(document: Document, *, holder: User, report: SeedReport) -> None:
    document.refresh_from_db()
    if document.lock_holder() is None:
        # A long check-out so that the demo still shows it after a few days.
        with override_settings(CHECKOUT_TTL_SECONDS=DEMO_CHECKOUT_SECONDS):
            document_checkout(actor=holder, document=document)
        report.checkouts += 1


def seed_demo(*, progress: Callable[[str], None] | None = None) -> SeedReport:
    """Create whatever part of the demo is missing; return at once if a seed already completed."""
    report = SeedReport()
    if demo_present():
        report.already_present = True
        return report
    today = timezone.localdate()
    departments = _ensure_departments(report)
    users = _ensure_users(report, departments)
    for plan in demo_plan():
        _ensure_document(plan, users=users, departments=departments, report=report, today=today)
        if progress is not None:
            progress(plan.title)
    return report
