"""The demo's routines (demo/routines.py): service levels, retention, a legal hold, a campaign, targets, inboxes."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import (
    Campaign,
    CampaignParticipant,
    DispatchState,
    ExpenseStatus,
    Lead,
    SalesTarget,
    ServiceLevelTarget,
    ServiceRecord,
)
from backend.crm.services.customers import customer_create
from backend.documents.models import DisposalState, DocumentRetention, LegalHold, LegalHoldScope, RetentionPolicy
from backend.documents.services import document_create
from backend.notifications.models import Notification
from demo.crm.seed import seed_crm_demo
from demo.routines import CAMPAIGN_THEME, seed_routines_demo
from tests import factories

pytestmark = pytest.mark.django_db

DEMO_PEOPLE = {
    "admin": (Role.ADMIN, "management"), "compliance": (Role.COMPLIANCE, "compliance"),
    "wang.fang": (Role.SALES, "sales-east"), "sarah.chen": (Role.SALES, "sales-east"),
    "chen.jing": (Role.SALES, "sales-east"), "zhang.wei": (Role.SALES, "sales-north"),
    "li.lei": (Role.SALES, "sales-north"), "liu.yang": (Role.SERVICE, "service"),
    "tom.becker": (Role.SERVICE, "service"),
}


@pytest.fixture
def crm_demo(settings):
    """The demo users, the two demo documents the routines use, and the CRM demo."""
    settings.SERVICE_MANAGERS = ["liu.yang"]  # as ./dossier demo sets it
    users = {username: factories.UserFactory(username=username, role=role, email=f"{username}@qiheng.example",
                                             department=factories.DepartmentFactory(code=department))
             for username, (role, department) in DEMO_PEOPLE.items()}
    document_create(actor=users["li.lei"], title="技术标 TJBH-2026-ZB-017", kind="bid", classification="confidential",
                    upload=factories.upload_source(), idempotency_key="demo:bid-binhai-tech")
    document_create(actor=users["chen.jing"], title="规格表 Spec sheet", kind="product_material",
                    classification="public", upload=factories.upload_source(b"spec\n", "spec.txt"),
                    idempotency_key="demo:spec-sheet")
    seed_crm_demo()
    return users


def test_the_routines_show_service_levels_retention_a_hold_a_campaign_targets_and_notifications_once(crm_demo):
    # given the CRM demo
    out = io.StringIO()

    # when the routines are seeded
    report = seed_routines_demo(stdout=out)

    # then every priority and type has a target, the open records have clocks, and one is breached
    assert not report.already_present and "Demo routines seeded" in out.getvalue()
    assert ServiceLevelTarget.objects.count() == 16
    open_records = ServiceRecord.objects.exclude(dispatch_state__in=[DispatchState.RESOLVED, DispatchState.CLOSED])
    assert open_records.exists() and not open_records.filter(resolution_due_at__isnull=True).exists()
    now = timezone.now()
    breached = open_records.filter(dispatched_at__isnull=True, response_due_at__lt=now)
    assert breached.count() == 1 and "备件质量投诉" in breached.get().title
    assert not open_records.filter(resolution_due_at__lt=now).exists()
    # and the service manager was told of the breach
    assert Notification.objects.filter(recipient__username="liu.yang", kind="service.sla_breached").count() == 1

    # and compliance's contract and lost-bid policies, with the lost tender's proposal due for review
    assert set(RetentionPolicy.objects.values_list("trigger", flat=True)) == {"order_closed", "opportunity_lost"}
    due = DocumentRetention.objects.get(state=DisposalState.DUE)
    assert due.document.idempotency_key == "demo:bid-binhai-tech" and due.due_on < timezone.localdate()
    assert Notification.objects.filter(recipient__username="compliance", kind="documents.disposal_due").exists()

    # and a legal hold on the customer of the late-delivery dispute
    hold = LegalHold.objects.get()
    assert hold.scope == LegalHoldScope.CUSTOMER and hold.customer.code == "QH-C-021" and hold.lifted_at is None

    # and the campaign with its material, invitees, two leads (one for 王芳) and two expenses
    campaign = Campaign.objects.get(theme=CAMPAIGN_THEME)
    assert campaign.materials.count() == 1
    assert CampaignParticipant.objects.filter(campaign=campaign).count() == 3
    leads = Lead.objects.filter(campaign=campaign)
    assert leads.count() == 2 and leads.filter(assigned_to__username="wang.fang").count() == 1
    assert sorted(campaign.expenses.values_list("status", flat=True)) == sorted(
        [ExpenseStatus.APPROVED, ExpenseStatus.SUBMITTED])

    # and this quarter's targets for the five reps and the two teams
    targets = SalesTarget.objects.filter(period="quarter", starts_on__lte=timezone.localdate())
    assert targets.filter(rep__isnull=False).count() == 5 and targets.filter(department__isnull=False).count() == 2

    # and 王芳's inbox heard of the lead and of her reminder, from the real triggers
    kinds = set(Notification.objects.filter(recipient__username="wang.fang").values_list("kind", flat=True))
    assert {"sales.lead_assigned", "sales.reminder_due"} <= kinds

    # and a second run (as on every start of the demo) changes nothing
    events = AuditEvent.objects.count()
    assert seed_routines_demo().already_present
    assert AuditEvent.objects.count() == events and Campaign.objects.count() == 1 and LegalHold.objects.count() == 1


def test_a_demo_whose_users_made_a_clashing_customer_still_starts_and_the_routines_write_nothing():
    # given the demo users, the first demo customer, and a customer of the lead's name made by hand
    users = {username: factories.UserFactory(username=username, role=role,
                                             department=factories.DepartmentFactory(code=department))
             for username, (role, department) in DEMO_PEOPLE.items()}
    customer_create(actor=users["wang.fang"], name="上海华东精密机械有限公司", region="上海", code="QH-C-001")
    customer_create(actor=users["zhang.wei"], name="宁波海曙精密模具有限公司", region="宁波")
    events = AuditEvent.objects.count()
    out = io.StringIO()

    # when the routines are seeded
    report = seed_routines_demo(stdout=out)

    # then the step says why it was skipped, and none of it was written (it is tried again on the next start)
    assert report.skipped.startswith("Conflict") and "Demo routines skipped" in out.getvalue()
    assert not Campaign.objects.exists() and not ServiceLevelTarget.objects.exists()
    assert not RetentionPolicy.objects.exists() and not SalesTarget.objects.exists()
    assert AuditEvent.objects.count() == events
