"""The chain's head gets a row of its own, so that appending an event costs two statements, not three.

``record()`` used to take an advisory lock, then read the newest event, then insert (three round
trips, each search and download paying them). Now it locks and reads the one ``audit_chainhead``
row in one statement (SELECT ... FOR UPDATE on PostgreSQL, an upsert with RETURNING on SQLite;
backend/audit/services.py) and inserts the event;
the trigger below moves the head to the new event inside that INSERT. On PostgreSQL the trigger
runs once per statement (a bulk INSERT ... SELECT moves the head once), on SQLite once per row.
The head is only ever moved forward.
"""

from django.db import migrations, models

EVENTS = "audit_auditevent"
HEAD = "audit_chainhead"
FUNCTION = "audit_chainhead_follow"
TRIGGER = f"{EVENTS}_moves_head"

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {HEAD} AS head SET last_id = newest.id, last_hash = newest.hash
        FROM (SELECT id, hash FROM appended ORDER BY id DESC LIMIT 1) AS newest
        WHERE head.id = 1 AND newest.id > head.last_id;
        RETURN NULL;
    END;
    $$
    """,
    f"""
    CREATE TRIGGER {TRIGGER}
    AFTER INSERT ON {EVENTS}
    REFERENCING NEW TABLE AS appended
    FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()
    """,
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON {EVENTS}",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]
SQLITE = [
    f"""
    CREATE TRIGGER {TRIGGER} AFTER INSERT ON {EVENTS}
    BEGIN
        UPDATE {HEAD} SET last_id = NEW.id, last_hash = NEW.hash WHERE id = 1 AND last_id < NEW.id;
    END
    """,
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TRIGGER}"]

SEED = f"""
    INSERT INTO {HEAD} (id, last_id, last_hash)
    SELECT 1, COALESCE(MAX(id), 0),
           COALESCE((SELECT hash FROM {EVENTS} WHERE id = (SELECT MAX(id) FROM {EVENTS})), '{"0" * 64}')
    FROM {EVENTS}
"""


def _run(by_vendor):
    def run(apps, schema_editor):
        for statement in by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_keyed_chain_and_test_only_truncate"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("last_id", models.BigIntegerField()),
                ("last_hash", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="audit_chainhead_single_row")
                ],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL + [SEED], "sqlite": SQLITE + [SEED]}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
            elidable=False,
        ),
    ]
