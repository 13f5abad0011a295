"""Report rollups (issue 16): RepDayFigures, per day, rep and currency, the sales and orders signed,
collections, invoices issued and approved expenses the reports page sums; ReceivableTotals, per order
owner, customer and currency, the sums of the orders' balances the receivables start from; the indexes
that find the orders those totals do not answer for on a day. Filled here from the rows, from now on
kept by the order, invoice, payment and expense services (services/report_rollups.py)."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_rollups(apps, schema_editor):
    from backend.crm.services.report_rollups import rollups_rebuild

    rollups_rebuild(apps=apps)


def money_field():
    return models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0017_text_lookup_trigram_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RepDayFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("currency", models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")],
                                              max_length=3)),
                ("sales", money_field()),
                ("orders", models.IntegerField(default=0)),
                ("collected", money_field()),
                ("invoiced", money_field()),
                ("expenses", money_field()),
                ("rep", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                          to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("day", "rep", "currency"), name="repdayfigures_key")],
            },
        ),
        migrations.CreateModel(
            name="ReceivableTotals",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("currency", models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")],
                                              max_length=3)),
                ("orders", models.IntegerField(default=0)),
                ("total", money_field()),
                ("paid", money_field()),
                ("open_invoiced", money_field()),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                               to="crm.customer")),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("owner", "customer", "currency"),
                                                        name="receivabletotals_key")],
            },
        ),
        migrations.AddIndex(model_name="order",
                            index=models.Index(fields=["balance_last_due_on"], name="order_last_due_idx")),
        migrations.AddIndex(model_name="order",
                            index=models.Index(fields=["balance_last_paid_on"], name="order_last_paid_idx")),
        migrations.AddIndex(model_name="order", index=models.Index(fields=["signed_date"], name="order_signed_idx")),
        migrations.RunPython(backfill_rollups, migrations.RunPython.noop),
    ]
