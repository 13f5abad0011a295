# The beat passes ask whether a row was told already (backend/notifications/triggers.py).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["kind", "target_type", "target_id"], name="notification_target_idx"),
        ),
    ]
