"""PostgreSQL: refuse UPDATE, DELETE and TRUNCATE of the audit table at the database.

The model layer already refuses these; the triggers also stop raw SQL, other
programs and mistakes in psql. Nothing is installed on other databases.

One escape exists, for TRUNCATE only: a session that has run
``SET dossier.audit_allow_truncate = 'on'`` may empty the table. Django's
``flush`` (used between transactional tests) truncates every table, so the
test suite sets it; production code never does. An owner or superuser can
always disable triggers anyway, which is why the hash chain, not the trigger,
is the evidence.
"""

from django.db import migrations

TABLE = "audit_auditevent"
FUNCTION = "audit_auditevent_refuse_change"

INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE'
           AND coalesce(current_setting('dossier.audit_allow_truncate', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = '{TABLE} is append-only: ' || TG_OP || ' refused',
            HINT = 'Audit events are never changed or removed.';
    END;
    $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_update_delete
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()
    """,
]

UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update_delete ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            # params=None: the SQL is sent as written, with no placeholder parsing.
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(INSTALL), _run(UNINSTALL), elidable=False),
    ]
