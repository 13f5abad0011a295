"""competitors as records (issue 15, opportunities).

An opportunity's competitors were one free-text field ("DMG Mori, Haas, 海天精工"). They become
`Competitor` rows (one a name, case-insensitive) joined to opportunities by a many-to-many. The old text
is kept: each opportunity's text is split at commas, semicolons, slashes and the Chinese separators into
names, each name becomes (or finds) its record and is linked. Going back joins the names with ", ".
"""

import re

import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

SEPARATORS = re.compile(r"[,，、;；/\n]+")
NAME_LENGTH = 100


def competitor_names(text: str) -> list[str]:
    """The distinct names in a free-text competitors field, in order, case-insensitively unique."""
    names: list[str] = []
    seen: set[str] = set()
    for part in SEPARATORS.split(text or ""):
        name = " ".join(part.split())[:NAME_LENGTH]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def text_to_records(apps, schema_editor):
    Opportunity = apps.get_model("crm", "Opportunity")
    Competitor = apps.get_model("crm", "Competitor")
    by_name: dict[str, object] = {}
    # oldest deal first: the spelling a name was first written in is the record's
    for opportunity in (Opportunity.objects.exclude(competitors_text="").only("pk", "competitors_text")
                        .order_by("pk").iterator()):
        records = []
        for name in competitor_names(opportunity.competitors_text):
            record = by_name.get(name.casefold())
            if record is None:
                record = Competitor.objects.filter(name__iexact=name).first() or Competitor.objects.create(name=name)
                by_name[name.casefold()] = record
            records.append(record)
        opportunity.competitors.add(*records)


def records_to_text(apps, schema_editor):
    Opportunity = apps.get_model("crm", "Opportunity")
    for opportunity in Opportunity.objects.prefetch_related("competitors").order_by("pk").iterator(chunk_size=500):
        names = sorted(competitor.name for competitor in opportunity.competitors.all())
        if names:
            opportunity.competitors_text = ", ".join(names)[:300]
            opportunity.save(update_fields=["competitors_text"])


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_product_catalogue")]

    operations = [
        migrations.CreateModel(
            name="Competitor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(django.db.models.functions.text.Lower("name"),
                                            name="competitor_name_unique_ci"),
                ],
            },
        ),
        migrations.RenameField(model_name="opportunity", old_name="competitors", new_name="competitors_text"),
        migrations.AddField(
            model_name="opportunity", name="competitors",
            field=models.ManyToManyField(blank=True, related_name="opportunities", to="crm.competitor"),
        ),
        migrations.RunPython(text_to_records, records_to_text),
        migrations.RemoveField(model_name="opportunity", name="competitors_text"),
    ]
