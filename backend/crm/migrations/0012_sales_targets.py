# Sales targets per rep or team (department) per month or quarter, for the reports' attainment.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("crm", "0011_service_levels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SalesTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period", models.CharField(choices=[("month", "Month"), ("quarter", "Quarter")], default="month",
                                            max_length=8)),
                ("starts_on", models.DateField()),
                ("currency", models.CharField(choices=[("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €")],
                                              default="CNY", max_length=3)),
                ("amount", models.DecimalField(decimal_places=2, max_digits=16)),
                ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("department", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="sales_targets", to="accounts.department")),
                ("rep", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                          related_name="sales_targets", to=settings.AUTH_USER_MODEL)),
                ("set_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                             to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["starts_on", "id"],
                "permissions": [("view_team_figures", "Can read the figures and set the targets of their own team")],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("amount__gt", 0)), name="salestarget_amount_positive"),
                    models.CheckConstraint(
                        condition=models.Q(models.Q(("rep__isnull", False), ("department__isnull", True)),
                                           models.Q(("rep__isnull", True), ("department__isnull", False)),
                                           _connector="OR"),
                        name="salestarget_rep_or_team"),
                    models.UniqueConstraint(condition=models.Q(("rep__isnull", False)),
                                            fields=("rep", "period", "starts_on", "currency"),
                                            name="salestarget_rep_uniq"),
                    models.UniqueConstraint(condition=models.Q(("department__isnull", False)),
                                            fields=("department", "period", "starts_on", "currency"),
                                            name="salestarget_team_uniq"),
                ],
            },
        ),
    ]
