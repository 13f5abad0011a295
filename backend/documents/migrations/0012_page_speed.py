"""Document page speed (reserved for this session's work; filled by its owner)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0011_view_mark_event_without_constraint"),
    ]

    operations = []
