"""Quote revisions (issue 15, quotes).

A revised quote is a new row pointing at its chain's first quote (`original`) with the next `revision`
number; the quote it replaces keeps its lines and history and is superseded. Existing quotes are each the
first revision of their own chain.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0005_opportunity_competitors"),
    ]

    operations = [
        migrations.AddField(
            model_name="quote",
            name="original",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="later_revisions", to="crm.quote"),
        ),
        migrations.AddField(
            model_name="quote",
            name="revision",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddConstraint(
            model_name="quote",
            constraint=models.UniqueConstraint(fields=("original", "revision"), name="quote_revision_unique"),
        ),
        migrations.AddConstraint(
            model_name="quote",
            constraint=models.CheckConstraint(
                condition=models.Q(("original__isnull", True), ("revision", 1))
                | models.Q(("original__isnull", False), ("revision__gt", 1)),
                name="quote_revision_chain",
            ),
        ),
    ]
