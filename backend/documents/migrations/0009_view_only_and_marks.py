# The "read" grant level (watermarked pages on screen, never the file) and the watermark codes
# (ViewMark: backend/documents/marks.py).
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0008_retention_and_disposal"),
        ("audit", "0005_chain_head"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    operations = [
        migrations.AlterModelOptions(
            name='document',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('read_document', 'Can read document pages on screen (watermarked), never the file'), ('download_document', 'Can download document content'), ('manage_document', 'Can manage document permissions')]},
        ),
        migrations.CreateModel(
            name='ViewMark',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=16, unique=True)),
                ('viewer_label', models.CharField(max_length=300)),
                ('document_title', models.CharField(blank=True, max_length=300)),
                ('purpose', models.CharField(choices=[('preview', 'Preview'), ('share-page', 'Portal share page'), ('download', 'Download')], max_length=16)),
                ('address', models.GenericIPAddressField(blank=True, null=True)),
                ('classification', models.CharField(blank=True, choices=[('public', 'Public'), ('internal', 'Internal'), ('confidential', 'Confidential'), ('secret', 'Secret')], max_length=16)),
                ('created', models.DateTimeField(default=django.utils.timezone.now)),
                ('event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='audit.auditevent')),
                ('version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='documents.documentversion')),
                ('viewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created', '-id'],
            },
        ),
    ]
