"""ReceivableCustomerTotals: per customer and currency, the orders (not cancelled) and what is outstanding on
them, ReceivableTotals' rows of every owner summed. The reports page's receivables chart takes its largest
debtors from the first entries of receivablecustomer_top_idx instead of grouping every owner's rows per
customer on each request. Filled here from the orders' balances, from now on kept with ReceivableTotals by
the services that change a balance (services/report_rollups.py receivable_add)."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


def backfill_customer_totals(apps, schema_editor):
    from backend.crm.services.receivable_rollups import receivable_customers_rebuild

    receivable_customers_rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0022_opportunity_products'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReceivableCustomerTotals',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(choices=[('CNY', 'CNY ¥'), ('USD', 'USD $'), ('EUR', 'EUR €')], max_length=3)),
                ('orders', models.IntegerField(default=0)),
                ('outstanding', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=16)),
                ('customer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.customer')),
            ],
            options={
                'indexes': [models.Index(fields=['-outstanding', 'customer'], name='receivablecustomer_top_idx')],
                'constraints': [models.UniqueConstraint(fields=('customer', 'currency'), name='receivablecustomer_key')],
            },
        ),
        migrations.RunPython(backfill_customer_totals, migrations.RunPython.noop),
    ]
