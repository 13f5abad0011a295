# Campaigns (their materials and invitees), leads and expenses: issue 16's marketing and expenses (M1).
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0009_service_preferred_visit"),
        ("documents", "0006_version_sha256_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Campaign',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('theme', models.CharField(max_length=200, verbose_name='theme')),
                ('type', models.CharField(choices=[('advertising', 'Advertising'), ('launch', 'Launch event'), ('promotion', 'Promotion'), ('exhibition', 'Exhibition'), ('webinar', 'Webinar'), ('other', 'Other')], default='other', max_length=16)),
                ('starts_on', models.DateField()),
                ('ends_on', models.DateField(blank=True, null=True)),
                ('region', models.CharField(blank=True, max_length=100)),
                ('budget', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=16)),
                ('currency', models.CharField(choices=[('CNY', 'CNY ¥'), ('USD', 'USD $'), ('EUR', 'EUR €')], default='CNY', max_length=3)),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('running', 'Running'), ('finished', 'Finished'), ('cancelled', 'Cancelled')], default='planned', max_length=16)),
                ('description', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='campaigns', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-starts_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='CampaignMaterial',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('added_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='materials', to='crm.campaign')),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='campaign_uses', to='documents.document')),
            ],
            options={
                'ordering': ['added_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='CampaignParticipant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('invited', 'Invited'), ('attended', 'Attended')], default='invited', max_length=16)),
                ('added_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='participants', to='crm.campaign')),
                ('contact', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='crm.contact')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='campaign_participations', to='crm.customer')),
            ],
            options={
                'ordering': ['added_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Expense',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16)),
                ('currency', models.CharField(choices=[('CNY', 'CNY ¥'), ('USD', 'USD $'), ('EUR', 'EUR €')], default='CNY', max_length=3)),
                ('spent_on', models.DateField()),
                ('category', models.CharField(choices=[('travel', 'Travel'), ('lodging', 'Lodging'), ('venue', 'Venue'), ('rental', 'Rental'), ('pr', 'Public relations'), ('promotion', 'Promotion'), ('entertainment', 'Entertainment'), ('other', 'Other')], default='other', max_length=16)),
                ('payer', models.CharField(choices=[('personal', 'Paid personally'), ('company', 'Paid by the company')], default='company', max_length=16)),
                ('channel', models.CharField(choices=[('direct', 'Direct'), ('channel', 'Channel')], default='direct', max_length=16)),
                ('region', models.CharField(blank=True, max_length=100)),
                ('description', models.CharField(blank=True, max_length=300)),
                ('status', models.CharField(choices=[('submitted', 'Submitted'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='submitted', max_length=16)),
                ('submitted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decision_note', models.CharField(blank=True, max_length=300)),
                ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='expenses', to='crm.campaign')),
                ('customer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='expenses', to='crm.customer')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opportunity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='expenses', to='crm.opportunity')),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='expenses', to='crm.order')),
                ('receipt', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='expense_receipts', to='documents.document')),
                ('submitter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='expenses', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-spent_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Lead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('campaign', 'Campaign'), ('website', 'Website'), ('referral', 'Referral'), ('exhibition', 'Exhibition'), ('call', 'Inbound call'), ('other', 'Other')], default='other', max_length=16)),
                ('grade', models.CharField(choices=[('hot', 'Hot'), ('warm', 'Warm'), ('cold', 'Cold')], default='warm', max_length=8)),
                ('status', models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('qualified', 'Qualified'), ('disqualified', 'Disqualified')], default='new', max_length=16)),
                ('note', models.TextField(blank=True)),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('assigned_at', models.DateTimeField(blank=True, null=True)),
                ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_leads', to=settings.AUTH_USER_MODEL)),
                ('campaign', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='crm.campaign')),
                ('customer', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='lead', to='crm.customer')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-recorded_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='campaign',
            index=models.Index(fields=['status', '-starts_on'], name='campaign_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.CheckConstraint(condition=models.Q(('budget__gte', 0)), name='campaign_budget_non_negative'),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.CheckConstraint(condition=models.Q(('ends_on__isnull', True), ('ends_on__gte', models.F('starts_on')), _connector='OR'), name='campaign_ends_after_start'),
        ),
        migrations.AddIndex(
            model_name='campaignmaterial',
            index=models.Index(fields=['document', 'campaign'], name='campaign_material_doc_idx'),
        ),
        migrations.AddConstraint(
            model_name='campaignmaterial',
            constraint=models.UniqueConstraint(fields=('campaign', 'document'), name='campaign_material_uniq'),
        ),
        migrations.AddIndex(
            model_name='campaignparticipant',
            index=models.Index(fields=['customer', 'campaign'], name='campaign_participant_cust_idx'),
        ),
        migrations.AddConstraint(
            model_name='campaignparticipant',
            constraint=models.UniqueConstraint(condition=models.Q(('contact__isnull', False)), fields=('campaign', 'contact'), name='campaign_participant_contact_uniq'),
        ),
        migrations.AddConstraint(
            model_name='campaignparticipant',
            constraint=models.UniqueConstraint(condition=models.Q(('contact__isnull', True)), fields=('campaign', 'customer'), name='campaign_participant_customer_uniq'),
        ),
        migrations.AddIndex(
            model_name='expense',
            index=models.Index(fields=['submitter', 'status'], name='expense_submitter_idx'),
        ),
        migrations.AddIndex(
            model_name='expense',
            index=models.Index(fields=['status', 'spent_on'], name='expense_status_date_idx'),
        ),
        migrations.AddIndex(
            model_name='expense',
            index=models.Index(fields=['customer', '-spent_on'], name='expense_customer_idx'),
        ),
        migrations.AddIndex(
            model_name='expense',
            index=models.Index(fields=['campaign'], name='expense_campaign_idx'),
        ),
        migrations.AddIndex(
            model_name='expense',
            index=models.Index(fields=['order'], name='expense_order_idx'),
        ),
        migrations.AddConstraint(
            model_name='expense',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='expense_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='expense',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decided_at__isnull', True), ('decided_by__isnull', True), ('status', 'submitted')), models.Q(models.Q(('status', 'submitted'), _negated=True), ('decided_at__isnull', False), ('decided_by__isnull', False)), _connector='OR'), name='expense_decision_consistent'),
        ),
        migrations.AddConstraint(
            model_name='expense',
            constraint=models.CheckConstraint(condition=models.Q(('decided_by', models.F('submitter')), _negated=True), name='expense_not_self_approved'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['assigned_to', 'status'], name='lead_assignee_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['campaign', '-recorded_at'], name='lead_campaign_idx'),
        ),
    ]
