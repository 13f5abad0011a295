"""The chain becomes keyed, and the TRUNCATE escape exists only in test databases.

1. Existing events were hashed with plain SHA-256 (chain format 1), which anyone with database access
   could recompute after an edit. They are re-hashed, in id order, under the chain key (format 2,
   backend/audit/keys.py): run this migration where that key is configured. An event
   `audit.chain.rekeyed` is not written here (a migration is not a request); the deployment's first
   `audit_verify` afterwards records the new head and signs the first checkpoint.
2. On PostgreSQL the append-only trigger let any session that set `dossier.audit_allow_truncate`
   empty the table. Now that setting works only in a database whose name starts with `test_` (the
   test suite's own, made by the test runner); anywhere else TRUNCATE is refused like DELETE.
"""

from importlib import import_module

from django.db import migrations

TABLE = "audit_auditevent"
FUNCTION = "audit_auditevent_refuse_change"

REFUSE_UNLESS_TEST_DATABASE = f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE'
           AND coalesce(current_setting('dossier.audit_allow_truncate', true), '') = 'on'
           AND current_database() LIKE 'test\\_%' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = '{TABLE} is append-only: ' || TG_OP || ' refused',
            HINT = 'Audit events are never changed or removed.';
    END;
    $$
"""

# The reverse: 0002's function, which honours the setting in any database.
REFUSE_UNLESS_SETTING = import_module("backend.audit.migrations.0002_append_only_triggers").INSTALL[0]


def _function(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def rekey(apps, schema_editor):
    from backend.audit.models import GENESIS_HASH, HASHED_FIELDS, compute_hash

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        if cursor.fetchone()[0] == 0:
            return
    event_model = apps.get_model("audit", "AuditEvent")
    if connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_no_update_delete", params=None)
    previous = GENESIS_HASH
    last_id = 0
    with connection.cursor() as cursor:
        while True:
            rows = list(event_model.objects.filter(id__gt=last_id).order_by("id").values(*HASHED_FIELDS)[:2000])
            if not rows:
                break
            for row in rows:
                row["prev_hash"] = previous
                digest = compute_hash(row)
                cursor.execute(f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s",
                               [previous, digest, row["id"]])
                previous, last_id = digest, row["id"]
    if connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_no_update_delete", params=None)


class Migration(migrations.Migration):
    # The re-hash must see its own updates row by row (unique hashes), in one transaction.
    atomic = True

    dependencies = [
        ("audit", "0003_console_ip_and_outcome_indexes"),
    ]

    operations = [
        migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(_function(REFUSE_UNLESS_TEST_DATABASE), _function(REFUSE_UNLESS_SETTING),
                             elidable=False),
    ]
