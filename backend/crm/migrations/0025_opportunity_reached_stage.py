"""Each deal's furthest funnel step (Opportunity.reached_stage), kept by the services that create a deal or move
its stage (services/opportunity_reached.py), so the reports' funnel and lost analysis group by a column instead
of looking up each deal's stage history; filled here from the history. And indexes on the instants the reports'
periods filter deals by: created (the funnel) and closed (the lost analysis)."""

from django.db import migrations, models


def backfill_reached_stage(apps, schema_editor):
    from backend.crm.services.opportunity_reached import opportunity_reached_rebuild

    opportunity_reached_rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0022_opportunity_products'),
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
            index=models.Index(condition=models.Q(('closed_at__isnull', False)), fields=['closed_at'], name='opp_closed_idx'),
        ),
        migrations.RunPython(backfill_reached_stage, migrations.RunPython.noop),
    ]
