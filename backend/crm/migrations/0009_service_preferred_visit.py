"""A service request may say when the customer would like the engineer to visit (portal, issue 15)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0008_activity_contact"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicerecord",
            name="preferred_visit_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
