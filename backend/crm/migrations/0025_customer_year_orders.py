"""CustomerYearOrders (retention): per customer and year, how many orders were signed in each month, so
retention reads one row a customer for the whole months of a period and the one before it instead of the
month rollup's rows per month, rep and currency. Filled here from the rows, from now on kept with the
month rollups by rollup_add (services/report_rollups.py)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill_customer_years(apps, schema_editor):
    from backend.crm.services.report_rollups import customer_years_rebuild

    customer_years_rebuild(apps=apps)


def month_field():
    return models.IntegerField(default=0)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0024_deal_report_reads"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerYearOrders",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.IntegerField()),
                *((f"m{month:02d}", month_field()) for month in range(1, 13)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                               to="crm.customer")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("year", "customer"), name="customeryearorders_key")],
            },
        ),
        migrations.RunPython(backfill_customer_years, migrations.RunPython.noop),
    ]
