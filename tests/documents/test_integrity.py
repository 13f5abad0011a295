"""The store and the database agree: every app registers the tables whose rows point at stored objects,
and the orphan sweep (storage_gc) and the integrity check (storage_fsck) read that registry."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from backend.crm.models import ServiceAttachment
from backend.documents.integrity import object_references
from backend.documents.store import object_store
from tests import factories
from tests.crm.factories import ServiceRecordFactory

pytestmark = pytest.mark.django_db


def test_each_app_registers_the_tables_that_reference_stored_objects():
    # given Django started (each app registers its tables from its ready())
    # then the documents' versions, the CRM's service attachments and the mail intake's messages as they came are
    # known, with their fields
    registered = {references.model._meta.label_lower: references for references in object_references()}
    assert set(registered) == {"documents.documentversion", "crm.serviceattachment", "intake.intakemessage"}
    attachments = registered["crm.serviceattachment"]
    assert (attachments.key_field, attachments.sha256_field, attachments.size_field) == ("object_key", "sha256",
                                                                                         "size")


def _attachment(owner, content: bytes) -> ServiceAttachment:
    stored = object_store().put_stream(io.BytesIO(content), content_type="text/plain")
    return ServiceAttachment.objects.create(
        record=ServiceRecordFactory(created_by=owner), object_key=stored.key, sha256=stored.sha256,
        size=stored.size, mime_type="text/plain", original_filename="log.txt", filename="log.txt",
        uploaded_by=owner)


def test_the_integrity_check_verifies_the_objects_of_every_registered_table():
    # given a document's version and a service attachment, each with its object in the store
    owner = factories.UserFactory(username="owner")
    factories.document(owner, content=b"contract text", filename="contract.txt")
    attachment = _attachment(owner, b"machine log")

    # when the attachment's object goes missing and the integrity check runs
    object_store().delete(attachment.object_key)
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("storage_fsck", stdout=out)

    # then both objects were checked and the attachment's is reported missing
    assert "checked 2 objects: 1 missing, 0 corrupt, 0 orphan" in str(failed.value)
    assert f"MISSING  {attachment.object_key}" in out.getvalue()


def test_the_orphan_sweep_keeps_the_objects_of_every_registered_table():
    # given a service attachment's object, and an object nothing references
    owner = factories.UserFactory(username="owner")
    attachment = _attachment(owner, b"machine log")
    orphan = object_store().put_stream(io.BytesIO(b"nobody's"), content_type="text/plain")

    # when the sweep runs with no grace period
    call_command("storage_gc", "--grace-seconds", "0", stdout=io.StringIO())

    # then only the orphan is gone
    assert object_store().exists(attachment.object_key)
    assert not object_store().exists(orphan.key)
