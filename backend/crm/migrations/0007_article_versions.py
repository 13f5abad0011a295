"""Knowledge article versions and the review/withdrawn states (issue 15, knowledge base).

Every saved text of an article (title and body) is kept as a numbered version. Existing articles get their
current text as version 1, by their author, at their last change.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def first_versions(apps, schema_editor):
    Article = apps.get_model("crm", "KnowledgeArticle")
    Version = apps.get_model("crm", "ArticleVersion")
    Version.objects.bulk_create(
        Version(article_id=a.pk, number=1, title=a.title, body=a.body, author_id=a.author_id, created_at=a.updated_at)
        for a in Article.objects.all().iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0006_quote_revisions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="knowledgearticle",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("review", "In review"), ("published", "Published"),
                         ("withdrawn", "Withdrawn")],
                default="draft", max_length=16),
        ),
        migrations.CreateModel(
            name="ArticleVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("title", models.CharField(max_length=200)),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="versions",
                                              to="crm.knowledgearticle")),
                ("author", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                             to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-number"],
                "constraints": [models.UniqueConstraint(fields=("article", "number"),
                                                        name="article_version_number_unique")],
            },
        ),
        migrations.RunPython(first_versions, migrations.RunPython.noop),
    ]
