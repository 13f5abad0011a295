# Indexes for the staff pages' reads at scale (bench/pages.py's large world).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crm", "0015_import_batches")]
    operations = [
        # The work log of a reader of everyone's: its newest page, walked along the index instead of joining
        # and sorting every activity.
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(fields=["-occurred_at", "-id"], name="activity_occurred_idx"),
        ),
    ]
