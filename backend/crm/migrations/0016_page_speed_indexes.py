# Reserved for session 9's work; the owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0015_import_batches")]
    operations = []
