"""The products quoted per deal (issue 14): OpportunityProduct, one row per (deal, product) a line of any quote
of the deal names, so the reports' lost analysis by product joins the deals closed in the period to their
pairs (an index-only read of the unique pair's index) instead of walking every quote line of those deals and
making them distinct. Filled here from the lines in one INSERT … SELECT DISTINCT, from now on kept by the
quote services (services/opportunity_products.py)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill_opportunity_products(apps, schema_editor):
    from backend.crm.services.opportunity_products import opportunity_products_rebuild

    opportunity_products_rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0021_customer_product_month_figures'),
    ]

    operations = [
        migrations.CreateModel(
            name='OpportunityProduct',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('opportunity', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='crm.opportunity')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='crm.product')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('opportunity', 'product'), name='opportunityproduct_key')],
            },
        ),
        migrations.RunPython(backfill_opportunity_products, migrations.RunPython.noop),
    ]
