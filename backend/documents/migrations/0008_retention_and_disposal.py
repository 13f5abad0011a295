# Retention policies and each document's disposal schedule and review (backend/documents/retention.py).
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0007_trash_and_legal_holds"),
        # The product a piece of product material describes.
        ("crm", "0009_service_preferred_visit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RetentionPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, verbose_name='name')),
                ('kind', models.CharField(choices=[('contract', 'Contract'), ('bid', 'Bid / tender'), ('quote', 'Quote'), ('product_material', 'Product material'), ('other', 'Other')], max_length=32, verbose_name='kind')),
                ('classification', models.CharField(blank=True, choices=[('public', 'Public'), ('internal', 'Internal'), ('confidential', 'Confidential'), ('secret', 'Secret')], max_length=16, verbose_name='classification')),
                ('trigger', models.CharField(choices=[('order_closed', 'Its order is closed'), ('opportunity_lost', 'Its opportunity is lost'), ('product_retired', 'Its product is retired'), ('created', 'The document is created')], max_length=24, verbose_name='counted from')),
                ('period', models.PositiveIntegerField(verbose_name='period')),
                ('unit', models.CharField(choices=[('days', 'days'), ('months', 'months'), ('years', 'years')], default='years', max_length=8, verbose_name='unit')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['kind', 'classification', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DocumentRetention',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_title', models.CharField(max_length=300)),
                ('document_kind', models.CharField(choices=[('contract', 'Contract'), ('bid', 'Bid / tender'), ('quote', 'Quote'), ('product_material', 'Product material'), ('other', 'Other')], max_length=32)),
                ('document_classification', models.CharField(choices=[('public', 'Public'), ('internal', 'Internal'), ('confidential', 'Confidential'), ('secret', 'Secret')], max_length=16)),
                ('state', models.CharField(choices=[('waiting', 'Waiting for its event'), ('scheduled', 'Scheduled'), ('due', 'Due for review'), ('disposed', 'Disposed')], default='waiting', max_length=16)),
                ('event_on', models.DateField(blank=True, null=True)),
                ('event_label', models.CharField(blank=True, max_length=300)),
                ('due_on', models.DateField(blank=True, null=True)),
                ('extended_until', models.DateField(blank=True, null=True)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('review_note', models.CharField(blank=True, max_length=300)),
                ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('disposed_at', models.DateTimeField(blank=True, null=True)),
                ('document', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='retention', to='documents.document')),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.product')),
                ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('policy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='documents.retentionpolicy')),
            ],
            options={
                'ordering': ['due_on', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='retentionpolicy',
            constraint=models.UniqueConstraint(fields=('kind', 'classification'), name='retention_policy_scope_uniq'),
        ),
        migrations.AddConstraint(
            model_name='retentionpolicy',
            constraint=models.CheckConstraint(condition=models.Q(('period__gte', 1)), name='retention_policy_period_positive'),
        ),
        migrations.AddIndex(
            model_name='documentretention',
            index=models.Index(fields=['state', 'due_on'], name='retention_state_due_idx'),
        ),
    ]
