"""the product catalogue: names in both languages, floor price (issue 15, products)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_customer_preferences")]

    operations = [
        migrations.AlterField(
            model_name="product", name="name", field=models.CharField(max_length=200, verbose_name="Chinese name"),
        ),
        migrations.AddField(
            model_name="product", name="name_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="English name"),
        ),
        migrations.AddField(
            model_name="product", name="floor_price",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True),
        ),
        migrations.AddField(
            model_name="product", name="updated_at", field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.CheckConstraint(
                condition=models.Q(("floor_price__isnull", True),
                                   models.Q(("floor_price__gte", 0), ("floor_price__lte", models.F("list_price"))),
                                   _connector="OR"),
                name="product_floor_within_list_price",
            ),
        ),
    ]
