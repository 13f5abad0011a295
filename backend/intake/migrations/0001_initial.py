# Mail intake (issue 18): the messages taken from the mailbox and what became of each part.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('crm', '0013_import_runs'),
        ('documents', '0008_retention_and_disposal'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='IntakeMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mailbox', models.CharField(max_length=300)),
                ('uidvalidity', models.BigIntegerField()),
                ('uid', models.BigIntegerField()),
                ('message_id', models.CharField(blank=True, db_index=True, max_length=500)),
                ('sender', models.CharField(blank=True, max_length=320)),
                ('sender_name', models.CharField(blank=True, max_length=200)),
                ('subject', models.CharField(blank=True, max_length=500)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('object_key', models.CharField(max_length=200)),
                ('sha256', models.CharField(max_length=64)),
                ('size', models.BigIntegerField()),
                ('status', models.CharField(choices=[('filed', 'Filed'), ('queued', 'Waiting for a customer'), ('assigned', 'Assigned'), ('duplicate', 'Duplicate')], max_length=16)),
                ('matched_by', models.CharField(blank=True, choices=[('', 'Not matched'), ('address', "Sender's address"), ('domain', "Sender's domain"), ('number', 'Number in the subject'), ('staff', 'Assigned by staff')], default='', max_length=16)),
                ('assigned_at', models.DateTimeField(blank=True, null=True)),
                ('queue_reason', models.CharField(blank=True, max_length=32)),
                ('assigned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='intake_messages', to='crm.customer')),
                ('documents_owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('duplicate_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='intake.intakemessage')),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='intake_messages', to='crm.order')),
                ('quote', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='intake_messages', to='crm.quote')),
            ],
            options={
                'verbose_name': 'mailed message',
                'verbose_name_plural': 'mailed messages',
                'ordering': ['-received_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='IntakePart',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveIntegerField()),
                ('kind', models.CharField(choices=[('message', 'The message'), ('attachment', 'Attachment')], max_length=16)),
                ('filename', models.CharField(blank=True, max_length=255)),
                ('mime_type', models.CharField(blank=True, max_length=200)),
                ('size', models.BigIntegerField(default=0)),
                ('rejected', models.CharField(blank=True, choices=[('type', 'Type not allowed'), ('size', 'Too large'), ('empty', 'Empty')], max_length=16)),
                ('document', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='documents.document')),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parts', to='intake.intakemessage')),
            ],
            options={
                'ordering': ['message', 'position'],
            },
        ),
        migrations.AddIndex(
            model_name='intakemessage',
            index=models.Index(fields=['status', 'received_at'], name='intake_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='intakemessage',
            constraint=models.UniqueConstraint(fields=('mailbox', 'uidvalidity', 'uid'), name='intake_message_uid_uniq'),
        ),
        migrations.AddConstraint(
            model_name='intakepart',
            constraint=models.UniqueConstraint(fields=('message', 'position'), name='intake_part_position_uniq'),
        ),
    ]
