"""customer and contact preferences (issue 15, customers and contacts): how a contact prefers to be
reached, and their marketing opt-out with when it was set."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_portal")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="preferred_channel",
            field=models.CharField(
                blank=True,
                choices=[("email", "E-mail"), ("phone", "Phone"), ("wechat", "WeChat"), ("visit", "In person")],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="contact",
            name="marketing_opt_out",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="contact",
            name="marketing_opt_out_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="contact",
            name="updated_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
