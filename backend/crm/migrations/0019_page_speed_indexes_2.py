"""Page speed indexes, session 10.

- opp_stage_updated_idx: the pipeline board reads each stage's newest deals along it (one LIMITed branch a
  stage) instead of ranking every open deal with a window function.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0018_report_rollups"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(models.F("stage"), models.OrderBy(models.F("updated_at"), descending=True),
                               models.OrderBy(models.F("id"), descending=True), name="opp_stage_updated_idx"),
        ),
    ]
