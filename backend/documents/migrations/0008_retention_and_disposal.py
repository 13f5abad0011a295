# Reserved for one helper's operations this session (see its task); the chain stays linear.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("documents", "0007_trash_and_legal_holds")]
    operations = []
