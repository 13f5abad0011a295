"""customer and contact preferences (issue 15, customers and contacts)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_portal")]

    operations = []
