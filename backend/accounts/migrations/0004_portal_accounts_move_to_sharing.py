from django.db import migrations


class Migration(migrations.Migration):
    """PortalAccount and PortalInvitation now live in the sharing app (sharing 0001), on the same tables:
    only Django's state forgets them here; no table or row is touched."""

    dependencies = [
        ("accounts", "0003_api_tokens_hashed"),
        ("sharing", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="PortalInvitation"),
                migrations.DeleteModel(name="PortalAccount"),
            ],
        ),
    ]
