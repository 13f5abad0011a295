"""The reports page's reads at scale (issues 14 and 16):

- ReceivableDueTotals: per order owner, customer, currency and last due date, what is invoiced and unpaid
  on the orders that will be overdue. The receivables take off the due dates on or after the day asked
  about instead of reading every order not yet due. Filled here from the orders' balances, from now on
  kept by the services that change a balance (services/receivable_rollups.py).
- order_due_gap_idx: the few orders with a due date passed and one still to come, the only ones (with
  payments dated later) whose invoices the receivables still read.
- quoteline_quote_product_idx: the products quoted to the deals closed in a period (lost analysis) from
  the index alone.
- activity_contact_idx: each customer's last visit, call or e-mail ("not contacted") from the index alone.
"""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_dues(apps, schema_editor):
    from backend.crm.services.receivable_rollups import receivable_dues_rebuild

    receivable_dues_rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0019_page_speed_indexes_2"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReceivableDueTotals",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("currency", models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")],
                                              max_length=3)),
                ("due_on", models.DateField()),
                ("orders", models.IntegerField(default=0)),
                ("open_invoiced", models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                               to="crm.customer")),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                            to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "indexes": [models.Index(fields=["due_on"], name="receivabledue_due_idx")],
                "constraints": [models.UniqueConstraint(fields=("owner", "customer", "currency", "due_on"),
                                                        name="receivableduetotals_key")],
            },
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(condition=models.Q(("balance_overdue_since__lt", models.F("balance_last_due_on"))),
                               fields=["balance_last_due_on"], name="order_due_gap_idx"),
        ),
        migrations.AddIndex(
            model_name="quoteline",
            index=models.Index(fields=["quote", "product"], name="quoteline_quote_product_idx"),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(condition=models.Q(("kind__in", ["visit", "call", "email"])),
                               fields=["customer", "occurred_at"], name="activity_contact_idx"),
        ),
        migrations.RunPython(backfill_dues, migrations.RunPython.noop),
    ]
