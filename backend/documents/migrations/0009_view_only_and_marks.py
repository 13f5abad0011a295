# The "read" grant level (watermarked pages on screen, never the file) and the watermark codes
# (ViewMark: backend/documents/marks.py).
#
# Grants made before the read level existed at "view" let their holders see the pages (view included
# the previews then): they become "read" grants, so nobody loses what they could do. From now on "view"
# is the details only. Backwards, "read" grants become "view" again.
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


READ_NAME = "Can read document pages on screen (watermarked), never the file"


def _move_grants(apps, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    permissions = apps.get_model("auth", "Permission")
    document_type = content_types.objects.filter(app_label="documents", model="document").first()
    if document_type is None:  # a new database: no grants yet (permissions are made after migrating)
        return
    source = permissions.objects.filter(content_type=document_type, codename=old).first()
    if source is None:
        return
    names = {"read_document": READ_NAME, "view_document": "Can view document"}
    target, _ = permissions.objects.get_or_create(content_type=document_type, codename=new,
                                                  defaults={"name": names[new]})
    for model in ("DocumentUserObjectPermission", "DocumentGroupObjectPermission"):
        apps.get_model("access", model).objects.filter(permission=source).update(permission=target)


def view_grants_become_read(apps, schema_editor) -> None:
    _move_grants(apps, "view_document", "read_document")


def read_grants_become_view(apps, schema_editor) -> None:
    _move_grants(apps, "read_document", "view_document")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0008_retention_and_disposal"),
        ("audit", "0005_chain_head"),
        ("access", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
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
        migrations.RunPython(view_grants_become_read, read_grants_become_view),
    ]
