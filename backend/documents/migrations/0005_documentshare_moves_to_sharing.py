from django.db import migrations


class Migration(migrations.Migration):
    """DocumentShare now lives in the sharing app (sharing 0001), on the same table: only Django's state
    forgets it here; no table or row is touched."""

    dependencies = [
        ("documents", "0004_idempotency_fingerprint"),
        ("sharing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="DocumentShare")],
        ),
    ]
