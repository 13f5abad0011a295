"""Customer shares and portal accounts move here from the documents and accounts apps, rows and all.

The models keep the tables they had (`db_table`: documents_documentshare, accounts_portalaccount,
accounts_portalinvitation), so this migration changes Django's idea of where they live and nothing in
the database: the state creates them here, and documents 0005 and accounts 0004 delete them from
their old apps' state only. A fresh database gets the tables from the old apps' migrations first.
The content types follow too, so permissions granted on these models, and admin log entries, keep
pointing at them.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = (("documents", "documentshare"), ("accounts", "portalaccount"), ("accounts", "portalinvitation"))


def content_types_to_sharing(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for app_label, model in MOVED:
        if not rows.filter(app_label="sharing", model=model).exists():
            rows.filter(app_label=app_label, model=model).update(app_label="sharing")


def content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for app_label, model in MOVED:
        if not rows.filter(app_label=app_label, model=model).exists():
            rows.filter(app_label="sharing", model=model).update(app_label=app_label)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0003_api_tokens_hashed"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0002_portal"),
        ("documents", "0004_idempotency_fingerprint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='PortalAccount',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('invited_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('activated_at', models.DateTimeField(blank=True, null=True)),
                        ('disabled_at', models.DateTimeField(blank=True, null=True)),
                        ('failed_signins', models.PositiveIntegerField(default=0)),
                        ('locked_until', models.DateTimeField(blank=True, null=True)),
                        ('last_signin_at', models.DateTimeField(blank=True, null=True)),
                        ('contact', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='portal_account', to='crm.contact')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='portal_accounts', to='crm.customer')),
                        ('disabled_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('invited_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='portal_account', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_portalaccount',
                        'ordering': ['customer_id', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='PortalInvitation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token_sha256', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('expires_at', models.DateTimeField()),
                        ('used_at', models.DateTimeField(blank=True, null=True)),
                        ('withdrawn_at', models.DateTimeField(blank=True, null=True)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='sharing.portalaccount')),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'accounts_portalinvitation',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='DocumentShare',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('downloadable', models.BooleanField(default=True)),
                        ('offer_valid_version', models.BooleanField(default=False)),
                        ('note', models.CharField(blank=True, max_length=500)),
                        ('expires_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('suspended_at', models.DateTimeField(blank=True, null=True)),
                        ('suspended_reason', models.CharField(blank=True, choices=[('reclassified', "The document's classification was raised")], max_length=32)),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='document_shares', to='crm.customer')),
                        ('document', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shares', to='documents.document')),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='shares', to='documents.documentversion')),
                    ],
                    options={
                        'db_table': 'documents_documentshare',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['customer', '-created_at'], name='share_customer_idx'), models.Index(fields=['document'], name='share_document_idx')],
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('suspended_at__isnull', True), ('suspended_reason', '')), models.Q(('suspended_at__isnull', False), models.Q(('suspended_reason', ''), _negated=True)), _connector='OR'), name='share_suspension_has_reason')],
                    },
                ),
                migrations.AddIndex(
                    model_name='portalaccount',
                    index=models.Index(fields=['customer'], name='portal_account_customer_idx'),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_sharing, content_types_back, elidable=False),
    ]
