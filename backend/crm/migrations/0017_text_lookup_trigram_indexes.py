"""Trigram indexes for the "contains" lookups of the search box and the CRM lists (PostgreSQL only).

The header's search box and the search page look quotes and orders up by number, contacts by name or
e-mail, opportunities by title and customers by name or code, each with Django's `icontains`, which
PostgreSQL runs as `UPPER(col::text) LIKE UPPER('%text%')`. Without an index that is a walk over every
row (200,000 quotes: ~60 ms on a quiet 2-core machine, for a word that is in no quote number). A GIN
index of the same `UPPER(col::text)` expression with pg_trgm's operator class answers any text of
three characters or more from the index.

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: the database's
owner may create it. Where it cannot be created (an older server, no CREATE right) the migration says
so and leaves the indexes out: the lookups stay correct, only slower. SQLite (the demo) has nothing
to do here.
"""

from django.db import migrations

# (table, column) pairs looked up with icontains
LOOKUPS = (
    ("crm_quote", "number"),
    ("crm_order", "number"),
    ("crm_opportunity", "title"),
    ("crm_contact", "name"),
    ("crm_contact", "email"),
    ("crm_customer", "name"),
    ("crm_customer", "code"),
)


def _name(table: str, column: str) -> str:
    return f"{table}_{column}_upper_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT dossier_trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as exc:  # no right to create it: correct lookups, without these indexes
                cursor.execute("ROLLBACK TO SAVEPOINT dossier_trgm")
                print(f"\n  pg_trgm could not be created ({exc}); the CRM text lookups run without trigram indexes")
                return
            cursor.execute("RELEASE SAVEPOINT dossier_trgm")
        for table, column in LOOKUPS:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS "{_name(table, column)}" ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )


def drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, column in LOOKUPS:
            cursor.execute(f'DROP INDEX IF EXISTS "{_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [("crm", "0016_page_speed_indexes")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
