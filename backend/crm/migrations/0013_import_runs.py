# Import runs and their rows (import_records / import_documents and the staff import wizard).
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0012_sales_targets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("entity", models.CharField(choices=[("customer", "Customers"), ("contact", "Contacts"), ("product", "Products"), ("opportunity", "Opportunities"), ("document", "Documents")], max_length=16)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("filename", models.CharField(max_length=300)),
                ("file_sha256", models.CharField(max_length=64)),
                ("encoding", models.CharField(blank=True, max_length=20)),
                ("mapping", models.JSONField(default=dict)),
                ("report", models.JSONField(default=dict)),
                ("status", models.CharField(choices=[("analysed", "Dry run done"), ("committing", "Importing"), ("committed", "Imported")], default="analysed", max_length=16)),
                ("total", models.PositiveIntegerField(default=0)),
                ("done", models.PositiveIntegerField(default=0)),
                ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["created_by", "file_sha256"], name="importrun_user_sha_idx")],
            },
        ),
        migrations.CreateModel(
            name="ImportRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("data", models.JSONField(default=dict)),
                ("issues", models.JSONField(default=list)),
                ("match", models.JSONField(blank=True, default=dict)),
                ("decision", models.CharField(choices=[("create", "Create"), ("merge", "Merge"), ("skip", "Skip")], default="create", max_length=8)),
                ("outcome", models.CharField(choices=[("pending", "Not yet imported"), ("created", "Created"), ("merged", "Merged"), ("unchanged", "Unchanged"), ("skipped", "Skipped"), ("duplicate", "Duplicate content"), ("failed", "Failed")], default="pending", max_length=12)),
                ("result_id", models.BigIntegerField(blank=True, null=True)),
                ("error", models.CharField(blank=True, max_length=500)),
                ("run", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="rows", to="crm.importrun")),
            ],
            options={
                "ordering": ["run", "number"],
                "constraints": [models.UniqueConstraint(fields=("run", "number"), name="importrow_run_number_uniq")],
            },
        ),
    ]
