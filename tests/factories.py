"""factory_boy factories for test data. Uploaded content is generated, never read from fixtures on disk."""

from __future__ import annotations

import io
import itertools

import factory
from django.contrib.auth.models import Group

from backend.accounts.models import Department, Role, User

_counter = itertools.count(1)

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf_bytes(marker: str = "") -> bytes:
    """A small, real-enough PDF; `marker` makes the content (and so its key) unique."""
    return PDF_BYTES + f"% {marker or next(_counter)}\n".encode()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.LazyAttribute(lambda o: f"Department {o.code}")
    group = factory.LazyAttribute(lambda o: Group.objects.get_or_create(name=f"dept:{o.code}")[0])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    role = Role.SALES
    department = factory.SubFactory(DepartmentFactory)
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def join_department(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            if obj.department_id:
                obj.groups.add(obj.department.group)


def upload_source(content: bytes | None = None, filename: str = "contract.pdf", sha256: str | None = None):
    from backend.documents.services import UploadSource

    data = pdf_bytes() if content is None else content
    return UploadSource(stream=io.BytesIO(data), filename=filename, declared_size=len(data), declared_sha256=sha256)


def document(owner, *, title="Master agreement", kind="contract", classification="internal", content=None,
             filename="contract.pdf", tags=()):
    """A document created through the real service (store, audit and all)."""
    from backend.documents.services import document_create

    doc, _ = document_create(
        actor=owner, title=title, kind=kind, classification=classification,
        upload=upload_source(content, filename), tags=tags,
    )
    return doc


def api_token(user, *, seconds: int = 3600) -> str:
    """An API token for `user`, built directly (also for users the service refuses one, such as a
    portal user "holding a token somehow"); returns the key, of which only the SHA-256 is stored."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from backend.accounts.models import ApiToken

    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_sha256=ApiToken.digest(key),
                            expires_at=timezone.now() + dt.timedelta(seconds=seconds))
    return key
