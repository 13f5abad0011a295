# Reserved for one helper's operations this session (see its task); the chain stays linear.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("documents", "0006_version_sha256_idx")]
    operations = []
