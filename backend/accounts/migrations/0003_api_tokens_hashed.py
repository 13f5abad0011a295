"""API tokens owned by Dossier, stored as the SHA-256 of their key, expiring.

DRF's authtoken table kept every key in clear (anyone reading the table or the admin could act as
any user). Its keys move here hashed, expiring API_TOKEN_TTL_SECONDS after this migration (clients
keep working until then), and the old table is emptied and dropped, so no clear key stays behind.
('rest_framework.authtoken' is no longer an installed app.)
"""

import datetime as dt
import hashlib

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OLD_TABLE = "authtoken_token"


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    now = django.utils.timezone.now()
    expires_at = now + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)
    quoted = schema_editor.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, user_id FROM {quoted}")
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(user_id=user_id, key_sha256=hashlib.sha256(key.encode("utf-8")).hexdigest(), created_at=now,
                 expires_at=expires_at)
        for key, user_id in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quoted}")
        cursor.execute(f"DROP TABLE {quoted}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_portal_accounts'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key_sha256', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['user'], name='api_token_user_idx')],
            },
        ),
        # Going back leaves the old table gone: the clear keys are not coming back.
        migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop),
    ]
