"""The trail can be neither forged nor cut short: the chain is keyed with a key outside the database,
and signed checkpoints in write-once storage show a missing tail or an emptied table.

Each attack is the one an attacker with full database access (but not the key, nor the power to
delete locked objects) would make, using the project's own code where it helps them.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from backend.audit import checkpoints
from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditEvent, canonical_bytes
from backend.audit.selectors import audit_trail_verify
from backend.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_events(actor):
    return [record(DOCUMENT_VIEWED, actor=actor, detail={"n": n}) for n in range(5)]


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except SystemExit as exit_info:
        return int(exit_info.code), out.getvalue()
    return 0, out.getvalue()


def rechain(tamper, digest) -> None:
    """Recompute every prev_hash and hash in id order with `digest(canonical bytes)`."""
    previous = GENESIS_HASH
    for row in AuditEvent.objects.order_by("id").values(*HASHED_FIELDS):
        row["prev_hash"] = previous
        new = digest(canonical_bytes(row))
        tamper("UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", (previous, new, row["id"]))
        previous = new


# -- forging the chain ----------------------------------------------------------------------------


@pytest.mark.parametrize("attacker_digest", [
    pytest.param(lambda data: hashlib.sha256(data).hexdigest(), id="plain-sha256-as-before"),
    pytest.param(lambda data: __import__("hmac").new(b"a key the attacker guessed" * 2, b"audit-event\x00" + data,
                                                     "sha256").hexdigest(), id="hmac-with-another-key"),
])
def test_deleting_and_reattributing_then_recomputing_the_chain_is_caught(five_events, tamper, attacker_digest):
    # given an attacker who deletes one event, pins another on someone else, and re-chains the rest
    tamper("DELETE FROM {table} WHERE id = %s", (five_events[1].id,))
    tamper("UPDATE {table} SET actor_label = 'bob' WHERE id = %s", (five_events[2].id,))
    rechain(tamper, attacker_digest)

    # when compliance verifies
    status, output = verify()

    # then the first re-hashed event is named: without the key no hash can be made to fit
    first = AuditEvent.objects.order_by("id").first().id
    assert status == 1
    assert output.startswith(f"BROKEN at event #{first}: the stored hash does not match")


def test_the_same_forgery_with_the_key_would_pass_so_the_key_is_what_protects(five_events, tamper):
    # (the control: if the attacker had the key, recomputing would hide the edit; the key lives
    # outside the database, in AUDIT_CHAIN_KEY / AUDIT_CHAIN_KEY_FILE)
    from backend.audit.keys import keyed_digest

    tamper("UPDATE {table} SET actor_label = 'bob' WHERE id = %s", (five_events[2].id,))
    rechain(tamper, lambda data: keyed_digest(b"audit-event", data))

    assert audit_trail_verify().ok


# -- cutting it short -----------------------------------------------------------------------------


def test_a_cut_off_tail_is_caught_by_the_checkpoint(five_events, tamper):
    # given a verification that signed a checkpoint of the whole trail
    assert verify()[0] == 0
    head = AuditEvent.objects.order_by("-id").first().id

    # when the newest three events disappear
    tamper("DELETE FROM {table} WHERE id > %s", (head - 3,))

    # then the missing range is named
    status, output = verify()
    assert status == 1
    assert f"events #{head - 2} to #{head} are missing" in output
    assert "tail was cut off" in output


def test_an_emptied_table_is_caught(five_events, tamper):
    assert verify()[0] == 0

    tamper("DELETE FROM {table}")

    status, output = verify()
    assert status == 1
    assert "the audit trail is empty" in output and "it was emptied" in output


def test_a_rewritten_head_is_caught_even_when_the_chain_links_up(five_events, tamper):
    # given a checkpoint, then the head event replaced by a new one (another attacker key, re-chained)
    assert verify()[0] == 0
    head = AuditEvent.objects.order_by("-id").first()
    tamper("UPDATE {table} SET hash = %s WHERE id = %s", ("f" * 64, head.id))

    result = audit_trail_verify()

    assert not result.ok


def test_a_checkpoint_written_without_the_key_is_reported_as_forged(five_events):
    assert verify()[0] == 0
    # an attacker with write access to the checkpoint store adds a checkpoint of a shorter trail
    fake = {"checkpoint": {"head_id": 2, "head_hash": "0" * 64, "count": 2, "written_at": "2999-01-01T00:00:00"},
            "signature": "0" * 64}
    checkpoints.checkpoint_bucket().put(f"{checkpoints.PREFIX}{99:020d}-fake.json", json.dumps(fake).encode(),
                                        retain_days=1)

    result = audit_trail_verify()

    assert not result.ok
    assert "signature does not verify" in result.reason and "fake.json" in result.reason


def test_the_hourly_task_signs_a_checkpoint(five_events):
    from backend.audit import tasks

    written = tasks.checkpoint()

    assert written == {"head_id": five_events[-1].id, "count": 5}
    assert checkpoints.checkpoints_read().newest.head_id == five_events[-1].id


# -- checkpoints on S3 Object Lock ----------------------------------------------------------------


def test_checkpoints_on_a_locked_bucket_cannot_be_deleted_or_hidden(settings, s3_server, five_events):
    from minio.error import S3Error

    # given checkpoints in a bucket with Object Lock (compliance mode) on the real S3 server
    bucket = f"audit-{uuid.uuid4().hex[:12]}"
    settings.AUDIT_CHECKPOINT_URL = s3_server.url_for_bucket(bucket)
    assert verify()[0] == 0
    client = s3_server.raw_client()
    assert client.get_object_lock_config(bucket) is not None
    [stored] = [o for o in client.list_objects(bucket, recursive=True, include_version=True)]

    # when an attacker with the bucket's credentials tries to remove it: deleting the version is refused
    with pytest.raises(S3Error) as refused:
        client.remove_object(bucket, stored.object_name, version_id=stored.version_id)
    assert refused.value.code == "AccessDenied"
    # and writing over it or hiding it behind a delete marker does not make it go away
    client.put_object(bucket, stored.object_name, io.BytesIO(b"{}"), 2)
    client.remove_object(bucket, stored.object_name)

    # so the genuine checkpoint is still read, and the unsigned overwrite is reported as a forgery
    anchors = checkpoints.checkpoints_read()
    assert anchors.newest is not None and anchors.newest.head_id == AuditEvent.objects.order_by("-id").first().id
    assert len(anchors.forged) == 1 and anchors.forged[0].startswith(stored.object_name)
    result = audit_trail_verify()
    assert not result.ok and "signature does not verify" in result.reason


# -- the TRUNCATE escape hatch --------------------------------------------------------------------


@pytest.mark.parametrize("database_prefix, truncated", [("test_", True), ("dossier_", False)])
def test_the_truncate_escape_works_only_in_a_test_database(database_prefix, truncated):
    import psycopg

    from importlib import import_module

    migration = import_module("backend.audit.migrations.0004_keyed_chain_and_test_only_truncate")
    params = connection.get_connection_params()
    name = f"{database_prefix}hatch_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(host=params.get("host"), port=params.get("port"), user=params.get("user"),
                            password=params.get("password"), dbname="postgres", autocommit=True)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(host=params.get("host"), port=params.get("port"), user=params.get("user"),
                             password=params.get("password"), dbname=name, autocommit=True) as scratch:
            # given the audit table with our trigger, and a session that sets the escape
            scratch.execute(f"CREATE TABLE {migration.TABLE} (id bigint)")
            scratch.execute(migration.REFUSE_UNLESS_TEST_DATABASE)
            scratch.execute(f"CREATE TRIGGER t BEFORE TRUNCATE ON {migration.TABLE} "
                            f"FOR EACH STATEMENT EXECUTE FUNCTION {migration.FUNCTION}()")
            scratch.execute(f"INSERT INTO {migration.TABLE} VALUES (1)")
            scratch.execute("SET dossier.audit_allow_truncate = 'on'")

            # when it truncates
            if truncated:
                scratch.execute(f"TRUNCATE {migration.TABLE}")
            else:
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    scratch.execute(f"TRUNCATE {migration.TABLE}")

            # then only the test suite's own database lets it
            left = scratch.execute(f"SELECT count(*) FROM {migration.TABLE}").fetchone()[0]
            assert left == (0 if truncated else 1)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_check_deploy_warns_until_the_key_and_checkpoints_are_set_up(settings, s3_server):
    from django.core import checks as django_checks

    def warnings() -> set[str]:
        return {m.id for m in django_checks.run_checks(include_deployment_checks=True) if m.id.startswith("dossier.audit")}

    settings.AUDIT_CHAIN_KEY_FILE = ""
    assert warnings() == {"dossier.audit.W001", "dossier.audit.W002"}

    settings.AUDIT_CHAIN_KEY_FILE = "/run/secrets/dossier-audit-chain-key"
    settings.AUDIT_CHECKPOINT_URL = s3_server.url_for_bucket("audit-deploy-check")
    assert warnings() == set()


def test_the_migration_rekeys_a_trail_written_with_plain_sha256(five_events, tamper):
    from importlib import import_module

    from django.apps import apps

    # given a trail as chain format 1 wrote it (plain SHA-256), which the keyed check refuses
    rechain(tamper, lambda data: hashlib.sha256(data).hexdigest())
    assert not audit_trail_verify().ok

    # when the migration runs (with the deployment's key configured)
    migration = import_module("backend.audit.migrations.0004_keyed_chain_and_test_only_truncate")
    with connection.schema_editor() as editor:
        migration.rekey(apps, editor)

    # then every event is chained under the key, in the same order, with the same contents
    assert audit_trail_verify().ok
    assert [e.detail for e in AuditEvent.objects.filter(event_type=DOCUMENT_VIEWED).order_by("id")] == \
        [{"n": n} for n in range(5)]
