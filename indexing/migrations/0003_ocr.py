# OCR facts of each version's extraction, and reindex runs limited to what OCR reads (search_reindex --ocr).
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("indexing", "0002_saved_searches"),
    ]

    operations = [
        migrations.AddField(
            model_name="versionindexstate",
            name="ocr_pages",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="versionindexstate",
            name="ocr_pages_wanted",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="versionindexstate",
            name="ocr_confidence",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="reindexrun",
            name="ocr_only",
            field=models.BooleanField(default=False),
        ),
    ]
