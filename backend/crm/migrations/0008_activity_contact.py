"""An activity may name the customer's contact it was with (a visit, a call): optional, kept as null when
the contact is removed."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_article_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="contact",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="activities",
                to="crm.contact",
            ),
        ),
    ]
