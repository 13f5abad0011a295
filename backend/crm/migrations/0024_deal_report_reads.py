"""The reports' deal figures without a look-up per deal or per pair:

- each deal's furthest funnel step (Opportunity.reached_stage), kept by the services that create a deal or move
  its stage (services/opportunity_reached.py), so the funnel and the lost analysis group by a column instead of
  looking up each deal's stage history; filled here from the history;
- per day closed and product, the deals won and lost that were quoted it (ClosedDealProductDay), kept with the
  products quoted per deal (services/opportunity_products.py), so the lost analysis by product of everyone's
  deals sums a few thousand rows instead of every closed deal's pairs; filled here from the pairs;
- indexes on the instants the reports' periods filter deals by: created (the funnel) and closed (the lost
  analysis)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    from backend.crm.services.opportunity_products import closed_deal_products_rebuild
    from backend.crm.services.opportunity_reached import opportunity_reached_rebuild

    opportunity_reached_rebuild(apps=apps)
    closed_deal_products_rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0023_receivable_customer_totals'),
    ]

    operations = [
        migrations.AddField(
            model_name='opportunity',
            name='reached_stage',
            field=models.PositiveSmallIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(fields=['created_at'], name='opp_created_idx'),
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('closed_at__isnull', False)), fields=['closed_at', 'stage', 'owner', 'reached_stage'], name='opp_closed_idx'),
        ),
        migrations.CreateModel(
            name='ClosedDealProductDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('won', models.IntegerField(default=0)),
                ('lost', models.IntegerField(default=0)),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='crm.product')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('day', 'product'), name='closeddealproductday_key')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
