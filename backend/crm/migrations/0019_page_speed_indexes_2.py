"""Page speed indexes (reserved for this session's work; filled by its owner)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0018_report_rollups"),
    ]

    operations = []
