# Reserved for one helper's operations this session (see its task); the chain stays linear.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("crm", "0010_campaigns_leads_expenses")]
    operations = []
