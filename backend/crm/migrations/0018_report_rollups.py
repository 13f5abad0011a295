"""Report rollups (reserved for this session's work; filled by its owner)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0017_text_lookup_trigram_indexes"),
    ]

    operations = []
