"""competitors as records (issue 15, opportunities)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_product_catalogue")]

    operations = []
