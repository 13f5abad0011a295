# Service levels (N2): response and resolution targets per priority and type; each record's due times and
# escalation stamps. Only this helper's operations (the chain stays linear).
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_campaigns_leads_expenses"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.CreateModel(
            name="ServiceLevelTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("priority", models.CharField(choices=[("low", "Low"), ("normal", "Normal"), ("high", "High"),
                                                       ("urgent", "Urgent")], max_length=8)),
                ("type", models.CharField(choices=[("issue", "Issue"), ("complaint", "Complaint"),
                                                   ("maintenance", "Maintenance visit"),
                                                   ("follow_up", "Follow-up visit")], max_length=16)),
                ("response_minutes", models.PositiveIntegerField()),
                ("resolution_minutes", models.PositiveIntegerField()),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                                 to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["priority", "type"]},
        ),
        migrations.AddField(model_name="servicerecord", name="dispatch_escalated_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="servicerecord", name="resolution_due_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="servicerecord", name="resolution_escalated_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="servicerecord", name="response_due_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="servicerecord", name="response_escalated_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(condition=models.Q(("dispatched_at__isnull", True), ("response_due_at__isnull", False),
                                                  ("response_escalated_at__isnull", True)),
                               fields=["response_due_at"], name="service_response_due_idx"),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(condition=models.Q(("resolution_due_at__isnull", False),
                                                  ("resolution_escalated_at__isnull", True),
                                                  ("resolved_at__isnull", True)),
                               fields=["resolution_due_at"], name="service_resolution_due_idx"),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(condition=models.Q(("dispatch_escalated_at__isnull", True),
                                                  ("dispatch_state", "dispatched")),
                               fields=["dispatched_at"], name="service_unconfirmed_idx"),
        ),
        migrations.AddConstraint(
            model_name="serviceleveltarget",
            constraint=models.UniqueConstraint(fields=("priority", "type"), name="service_level_pair_uniq"),
        ),
        migrations.AddConstraint(
            model_name="serviceleveltarget",
            constraint=models.CheckConstraint(condition=models.Q(("response_minutes__gt", 0),
                                                                 ("resolution_minutes__gte",
                                                                  models.F("response_minutes"))),
                                              name="service_level_minutes_valid"),
        ),
    ]
