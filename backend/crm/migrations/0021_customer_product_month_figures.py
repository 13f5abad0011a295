"""Month rollups for the reports (issue 16): CustomerMonthFigures, per month, customer, rep and currency, the
sales and orders signed, collections and invoices issued the figures by customer and by region sum and
retention reads; ProductMonthFigures, per month, product, rep and currency, the sales and orders the
figures by product sum; an index for the unsigned orders retention reads from the rows. Filled here from
the rows, from now on kept with RepDayFigures by the order, invoice and payment services
(services/report_rollups.py)."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_month_rollups(apps, schema_editor):
    from backend.crm.services.report_rollups import month_rollups_rebuild

    month_rollups_rebuild(apps=apps)


def money_field():
    return models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)


def currency_field():
    return models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")], max_length=3)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0020_report_page_reads"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerMonthFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("currency", currency_field()),
                ("sales", money_field()),
                ("orders", models.IntegerField(default=0)),
                ("collected", money_field()),
                ("invoiced", money_field()),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                               to="crm.customer")),
                ("rep", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                          to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("month", "customer", "rep", "currency"),
                                                        name="customermonthfigures_key")],
            },
        ),
        migrations.CreateModel(
            name="ProductMonthFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("currency", currency_field()),
                ("sales", money_field()),
                ("orders", models.IntegerField(default=0)),
                ("product", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                              to="crm.product")),
                ("rep", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                          to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("month", "product", "rep", "currency"),
                                                        name="productmonthfigures_key")],
            },
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(condition=models.Q(("signed_date__isnull", True)), fields=["created_at"],
                               name="order_unsigned_created_idx"),
        ),
        migrations.RunPython(backfill_month_rollups, migrations.RunPython.noop),
    ]
