"""The demo company's routines: service levels on the desk, retention and a disposal review, a legal hold,
a campaign with its leads and expenses, this quarter's sales targets, and what the inboxes heard of it.

Written through the public services only, acting as the demo user who would do it (the administrator sets
the service levels and the targets, compliance the retention policies and the hold, a sales engineer runs the
campaign), and the beat's own passes are run once (service-level escalation, retention refresh, due reminders,
the daily scan), so the notifications come from the real triggers. Dates follow the CRM demo: the records it
opened days ago, the tender lost about 80 days ago.

`seed_routines_demo()` runs in one transaction; the demo campaign is its marker: while it exists, the step
returns at once. It needs the CRM demo (demo/crm/seed.py) and the demo documents (demo/seed.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Department, User
from backend.common.errors import DomainError
from backend.crm.models import (
    Campaign,
    CampaignStatus,
    CampaignType,
    Contact,
    Customer,
    ExpenseCategory,
    LeadGrade,
    LeadSource,
    Opportunity,
    Priority,
    ServiceType,
    Stage,
    TargetPeriod,
)
from backend.crm.services.activities import activity_log
from backend.crm.services.campaigns import campaign_create, campaign_invite, campaign_material_add, lead_record
from backend.crm.services.expenses import expense_decide, expense_submit
from backend.crm.services.links import document_link_create
from backend.crm.services.reports import sales_target_set
from backend.crm.services.service_levels import TargetInput, service_levels_escalate, service_levels_set
from backend.documents.holds import legal_hold_place
from backend.documents.models import (
    Document,
    DocumentKind,
    LegalHoldScope,
    RetentionPolicy,
    RetentionTrigger,
    RetentionUnit,
)
from backend.documents.retention import retention_policy_save, retention_refresh
from backend.notifications import triggers

CAMPAIGN_THEME = "华东用户技术交流会 2026 East China user day"
REQUIRED_USERS = ("admin", "compliance", "chen.jing", "wang.fang", "li.lei", "liu.yang", "sarah.chen", "zhang.wei")

# Response and resolution targets in hours, per priority; visits (maintenance, follow-up) are planned, so
# they get longer. The open records of the CRM demo then read: the spare-part complaint opened three days
# ago and still not dispatched is breached; the urgent turret jam is due tomorrow; the others are in time.
HOURS = {
    Priority.URGENT: ((2, 48), (24, 120)),  # (response, resolution) for issues and complaints, for visits
    Priority.HIGH: ((4, 72), (48, 240)),
    Priority.NORMAL: ((24, 120), (72, 336)),
    Priority.LOW: ((48, 240), (96, 720)),
}
VISITS = (ServiceType.MAINTENANCE, ServiceType.FOLLOW_UP)

# Each rep's and each team's target for the quarter (CNY).
REP_TARGETS = {"wang.fang": 3_000_000, "sarah.chen": 2_000_000, "chen.jing": 1_500_000, "zhang.wei": 2_500_000,
               "li.lei": 1_500_000}
TEAM_TARGETS = {"sales-east": 6_500_000, "sales-north": 4_000_000}

HOLD_CUSTOMER = "QH-C-021"  # the late-delivery complaint and the retention payment still not collected
LOST_TENDER_CUSTOMER = "QH-C-005"  # 天津滨海: the cylinder block tender, lost
LOST_BID_DOCUMENT = "demo:bid-binhai-tech"


@dataclass
class RoutinesReport:
    already_present: bool = False
    skipped: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def summary(self) -> str:
        return ", ".join(f"{n} {what}" for what, n in self.counts.items())


def routines_demo_present() -> bool:
    return Campaign.objects.filter(theme=CAMPAIGN_THEME).exists()


def _minutes(hours: int) -> int:
    return hours * 60


def service_level_targets() -> dict[tuple[str, str], TargetInput]:
    targets = {}
    for priority, (tickets, visits) in HOURS.items():
        for type_ in ServiceType.values:
            response, resolution = visits if type_ in VISITS else tickets
            targets[(priority, type_)] = TargetInput(_minutes(response), _minutes(resolution))
    return targets


class _Routines:
    def __init__(self, users: dict[str, User], report: RoutinesReport) -> None:
        self.users = users
        self.report = report
        self.now = timezone.now()
        self.today = timezone.localdate()

    def service_levels(self) -> None:
        """The administrator sets the targets (the open records are re-timed), then the escalation pass
        tells the service managers of the breach (and of dispatches the engineer has not confirmed)."""
        result = service_levels_set(actor=self.users["admin"], targets=service_level_targets())
        self.report.add("service-level targets", result["changed"])
        escalated = service_levels_escalate()
        self.report.add("service escalations", sum(escalated.values()))

    def retention(self) -> None:
        """Compliance's two policies; the lost tender's technical proposal is linked to its deal, so the
        refresh puts it in the disposal review queue (lost about 80 days ago, reviewed after two months)."""
        officer = self.users["compliance"]
        kinds = [DocumentKind.CONTRACT, DocumentKind.BID]
        if RetentionPolicy.objects.filter(kind__in=kinds, classification="").exists():
            return  # policies of the demo's users (of an older demo) are theirs; the refresh is the beat's
        retention_policy_save(
            actor=officer, name="销售合同：订单关闭后保存 10 年 Contracts: 10 years after the order closes",
            kind=DocumentKind.CONTRACT, classification="", trigger=RetentionTrigger.ORDER_CLOSED, period=10,
            unit=RetentionUnit.YEARS)
        retention_policy_save(
            actor=officer, name="未中标投标文件：丢单后 2 个月复核 Lost bids: reviewed 2 months after the loss",
            kind=DocumentKind.BID, classification="", trigger=RetentionTrigger.OPPORTUNITY_LOST, period=2,
            unit=RetentionUnit.MONTHS)
        self.report.add("retention policies", 2)
        rep = self.users["li.lei"]
        bid = Document.objects.filter(idempotency_key=LOST_BID_DOCUMENT, owner=rep).first()
        lost = Opportunity.objects.filter(customer__code=LOST_TENDER_CUSTOMER, stage=Stage.LOST).first()
        if bid is not None and lost is not None:
            document_link_create(actor=rep, document=bid, target=lost)
        result = retention_refresh()
        self.report.add("documents due for disposal review", result.due)

    def legal_hold(self) -> None:
        customer = Customer.objects.filter(code=HOLD_CUSTOMER).first()
        if customer is None:
            return
        legal_hold_place(
            actor=self.users["compliance"], scope=LegalHoldScope.CUSTOMER,
            name=f"交付延期争议 Late delivery dispute — {customer.name}",
            reason="客户律师函：交付延期索赔，质保金未付。保留与该客户有关的全部文件，直至争议解决。\n\n"
                   "The customer's lawyers claim damages for the late delivery and withhold the retention "
                   "payment. Keep every document about this customer until the dispute is settled.",
            customer=customer)
        self.report.add("legal holds")

    def campaign(self) -> None:
        """陈静 ran the East China user day three weeks ago: brochures as its materials, her customers
        invited, two leads from it recorded today (the hot one handed to 王芳), its venue approved by the
        administrator and her travel still waiting for a decision."""
        host = self.users["chen.jing"]
        held_on = self.today - dt.timedelta(days=21)
        campaign = campaign_create(
            actor=host, theme=CAMPAIGN_THEME, type=CampaignType.LAUNCH, starts_on=held_on, ends_on=held_on,
            region="上海", budget=Decimal("80000"), status=CampaignStatus.FINISHED,
            description="在上海嘉定展示 VMC850 与 CK6150 的切削演示，邀请华东区老客户和潜在客户。\n\n"
                        "Cutting demonstrations of the VMC850 and CK6150 in Jiading, Shanghai, for the region's "
                        "customers and prospects.")
        for key in ("brochure-vmc850-zh", "spec-sheet", "model-comparison"):
            document = Document.objects.filter(idempotency_key=f"demo:{key}").first()
            if document is not None:
                campaign_material_add(actor=host, campaign=campaign, document=document)
                self.report.add("campaign materials")
        for customer in Customer.objects.filter(owner=host, code__startswith="QH-C-").order_by("code")[:3]:
            contact = Contact.objects.filter(customer=customer, marketing_opt_out=False).order_by(
                "-is_primary", "pk").first()
            campaign_invite(actor=host, campaign=campaign, customer=customer, contact=contact, attended=True)
            self.report.add("campaign invitations")
        lead_record(
            actor=host, name="宁波海曙精密模具有限公司", region="宁波", source=LeadSource.CAMPAIGN, campaign=campaign,
            grade=LeadGrade.HOT, industry="模具 Moulds", contact_name="黄志明", contact_phone="+86 574 8730 1122",
            contact_email="huang.zhiming@haishu-mould.cn",
            note="现场看了 VMC850 演示，明年一季度计划采购 4 台。Saw the VMC850 demo; plans 4 machines in Q1.",
            assign_to=self.users["wang.fang"])
        lead_record(
            actor=host, name="Kunshan Precision Fixtures Co., Ltd.", region="昆山", source=LeadSource.CAMPAIGN,
            campaign=campaign, grade=LeadGrade.WARM, industry="Fixtures / 工装夹具", contact_name="Kevin Lin",
            contact_email="kevin.lin@ks-fixtures.cn", note="Asked for the CK6150 price list.")
        self.report.add("leads", 2)
        venue = expense_submit(
            actor=host, amount=Decimal("36800"), spent_on=held_on, category=ExpenseCategory.VENUE,
            campaign=campaign, region="上海", description="嘉定会议中心场地与茶歇 Venue and catering, Jiading")
        expense_decide(actor=self.users["admin"], expense=venue, approve=True, note="按预算 Within budget")
        expense_submit(
            actor=host, amount=Decimal("2460"), spent_on=held_on, category=ExpenseCategory.TRAVEL,
            campaign=campaign, region="上海", description="样机运输与差旅 Demo machine transport and travel")
        self.report.add("expenses", 2)

    def targets(self) -> None:
        admin = self.users["admin"]
        for username, amount in REP_TARGETS.items():
            sales_target_set(actor=admin, period=TargetPeriod.QUARTER, starts_on=self.today, currency="CNY",
                             amount=Decimal(amount), rep=self.users[username])
        for code, amount in TEAM_TARGETS.items():
            department = Department.objects.filter(code=code).first()
            if department is not None:
                sales_target_set(actor=admin, period=TargetPeriod.QUARTER, starts_on=self.today, currency="CNY",
                                 amount=Decimal(amount), department=department)
        self.report.add("sales targets", len(REP_TARGETS) + len(TEAM_TARGETS))

    def reminders_and_daily_scan(self) -> None:
        """王芳 sets herself a reminder due now; the beat's passes tell her (and everyone) what came due."""
        wang = self.users["wang.fang"]
        customer = Customer.objects.filter(code="QH-C-001").first()
        if customer is not None:
            due = timezone.now() + dt.timedelta(seconds=1)
            activity_log(actor=wang, customer=customer, kind="reminder", due_at=due,
                         subject="回电周建国：二期技术协议 Call Zhou Jianguo back about the phase 2 agreement")
            self.report.add("notifications", triggers.reminders_due(now=due + dt.timedelta(seconds=1)))
        for scan in (triggers.quotes_expiring, triggers.invoices_overdue, triggers.documents_expiring):
            self.report.add("notifications", scan())


def seed_routines_demo(*, stdout: TextIO | None = None) -> RoutinesReport:
    """Seed the routines through the services, in one transaction; do nothing if they are already there."""
    report = RoutinesReport()

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    if routines_demo_present():
        report.already_present = True
        return report
    users = {user.username: user for user in User.objects.filter(username__in=REQUIRED_USERS, is_active=True)}
    missing = sorted(set(REQUIRED_USERS) - set(users))
    if missing or not Customer.objects.filter(code="QH-C-001").exists():
        report.skipped = "missing users: " + ", ".join(missing) if missing else "the CRM demo is not there"
        say(f"Demo routines skipped ({report.skipped}).")
        return report
    try:
        with transaction.atomic():
            routines = _Routines(users, report)
            routines.service_levels()
            routines.retention()
            routines.legal_hold()
            routines.targets()
            routines.campaign()  # the marker; the transaction makes the step all or nothing
            routines.reminders_and_daily_scan()
    except DomainError as error:
        # A demo its users have changed (a policy or a customer of the same name made by hand) still starts;
        # nothing of the step was written, and it is tried again on the next start.
        report.skipped = f"{type(error).__name__}: {error}"
        report.counts.clear()
        say(f"Demo routines skipped ({report.skipped}).")
        return report
    say(f"Demo routines seeded: {report.summary()}.")
    return report
