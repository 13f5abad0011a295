from django.db import migrations, models


class Migration(migrations.Migration):
    """What a request with an Idempotency-Key sent, so a replay with a different body is refused (422)."""

    dependencies = [
        ("documents", "0003_share_suspension_and_confirmation"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="idempotency_fingerprint",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="documentversion",
            name="idempotency_fingerprint",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
