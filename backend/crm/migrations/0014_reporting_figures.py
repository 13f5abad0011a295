"""Reporting figures (issue 16): each order's balance kept on the order (filled here from its lines,
invoices and payments; from now on by the services), and the staff-maintained currency rate table."""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill_balances(apps, schema_editor):
    from backend.crm.services.order_balances import order_balances_refresh

    order_balances_refresh(apps=apps)


def money_field():
    return models.DecimalField(decimal_places=2, default=Decimal("0.00"), max_digits=16)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0013_import_runs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="order", name="balance_total", field=money_field()),
        migrations.AddField(model_name="order", name="balance_invoiced", field=money_field()),
        migrations.AddField(model_name="order", name="balance_paid", field=money_field()),
        migrations.AddField(model_name="order", name="balance_outstanding", field=money_field()),
        migrations.AddField(model_name="order", name="balance_overdue_since",
                            field=models.DateField(blank=True, null=True)),
        migrations.AddField(model_name="order", name="balance_last_due_on",
                            field=models.DateField(blank=True, null=True)),
        migrations.AddField(model_name="order", name="balance_last_paid_on",
                            field=models.DateField(blank=True, null=True)),
        migrations.CreateModel(
            name="CurrencyRate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("currency", models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")],
                                              max_length=3)),
                ("in_currency", models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")],
                                                 max_length=3)),
                ("rate", models.DecimalField(decimal_places=8, max_digits=18)),
                ("valid_from", models.DateField()),
                ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("set_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                             to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["currency", "-valid_from"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("rate__gt", 0)), name="currencyrate_rate_positive"),
                    models.CheckConstraint(condition=models.Q(("currency", models.F("in_currency")), _negated=True),
                                           name="currencyrate_two_currencies"),
                    models.UniqueConstraint(fields=("currency", "in_currency", "valid_from"), name="currencyrate_uniq"),
                ],
            },
        ),
        migrations.RunPython(backfill_balances, migrations.RunPython.noop),
    ]
