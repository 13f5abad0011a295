"""Indexes for the compliance console's IP and outcome filters (backend/audit/console.py).

Every other console filter already has an index ending in id; these two complete the set so a
filtered page is one backwards index walk. On PostgreSQL they are built CONCURRENTLY, so adding them
to a large live trail does not block appends. They are plain SQL (not in the model's Meta) because
they are partial indexes that only the console's queries need.
"""

from django.db import migrations

TABLE = "audit_auditevent"
INDEXES = {
    # Partial: most events carry no address (background work), and those rows never match an IP filter.
    "audit_ip_idx": f"{TABLE} (ip, id) WHERE ip IS NOT NULL",
    # Partial: "show me what was refused or failed" must not walk millions of successes.
    "audit_not_success_idx": f"{TABLE} (outcome, id) WHERE outcome <> 'success'",
}


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {definition}", params=None)


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
