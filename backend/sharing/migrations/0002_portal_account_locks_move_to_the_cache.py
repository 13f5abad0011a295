"""Portal sign-in locks move from the account row to the sign-in counts the staff use (per address,
per (address, e-mail) and a short per-e-mail back-off, in the cache): a lock on the account row let
anyone lock a named customer out by typing their e-mail address five times."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [
        migrations.RemoveField(model_name="portalaccount", name="failed_signins"),
        migrations.RemoveField(model_name="portalaccount", name="locked_until"),
    ]
