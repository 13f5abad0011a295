from django.db import migrations, models


class Migration(migrations.Migration):
    """Versions by content: the new-document page asks whether the same bytes are already stored in a
    document the person may see (documents.selectors.versions_with_content_visible)."""

    dependencies = [
        ("documents", "0005_documentshare_moves_to_sharing"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="documentversion",
            index=models.Index(fields=["sha256"], name="version_sha256_idx"),
        ),
    ]
