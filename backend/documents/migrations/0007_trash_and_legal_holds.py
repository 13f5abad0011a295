# Trash (Document.trashed_at/by) and legal holds (LegalHold, HeldObject): backend/documents/trash.py, holds.py.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0006_version_sha256_idx"),
        ("crm", "0009_service_preferred_visit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="trashed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="trashed_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(condition=models.Q(("trashed_at__isnull", False)), fields=["trashed_at"],
                               name="doc_trashed_idx"),
        ),
        migrations.CreateModel(
            name="HeldObject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("object_key", models.CharField(max_length=200, unique=True)),
                ("held_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="LegalHold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("scope", models.CharField(choices=[("document", "One document"),
                                                    ("customer", "Every document of a customer"),
                                                    ("matter", "A named matter (a set of documents)")],
                                           max_length=16, verbose_name="scope")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("reason", models.TextField(verbose_name="reason")),
                ("placed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                ("customer", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                               related_name="legal_holds", to="crm.customer")),
                ("documents", models.ManyToManyField(blank=True, related_name="legal_holds",
                                                     to="documents.document")),
                ("lifted_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                                related_name="+", to=settings.AUTH_USER_MODEL)),
                ("placed_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-placed_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(models.Q(("customer__isnull", False), ("scope", "customer")),
                                           models.Q(models.Q(("scope", "customer"), _negated=True),
                                                    ("customer__isnull", True)), _connector="OR"),
                        name="legal_hold_customer_scope",
                    ),
                ],
            },
        ),
    ]
