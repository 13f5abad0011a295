"""One small company for the web tests (and the browser journeys), built through the real services.

    rep          王芳 wang.fang, sales-east: owns the customer, its quotes and documents
    colleague    陈静 chen.jing, sales-east: same department, no grant on confidential files
    team         李雷 li.lei, sales-north: on the customer's account team; has an open quote of his own
    outsider     张伟 zhang.wei, sales-north: no relationship to anything
    engineer     Tom Becker, service: a dispatched service record waits for his confirmation
    compliance   赵静 zhao.jing, compliance
    admin        吴磊 wu.lei, administrator
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from backend.accounts.models import Role
from backend.crm.models import AccountTeamMember, Activity, ActivityKind, Product
from backend.crm.services import opportunities as opportunity_services
from backend.crm.services import quotes as quote_services
from backend.crm.services import service as service_services
from backend.crm.services.links import document_link_create
from backend.crm.services.orders import invoice_issue, order_create, payment_record
from backend.documents.services import UploadSource, document_create, document_version_approve
from tests import factories

PASSWORD = "pw-for-tests"


def pdf_with_text(text: str) -> bytes:
    """A real one-page PDF whose text layer holds `text` (so extraction and search find it)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("STSong-Light", 14)
    y = 780
    for line in text.splitlines():
        page.drawString(60, y, line)
        y -= 22
    page.showPage()
    page.save()
    return buffer.getvalue()


def upload(content: bytes, filename: str) -> UploadSource:
    return UploadSource(stream=io.BytesIO(content), filename=filename, declared_size=len(content))


@dataclass
class World:
    users: dict = field(default_factory=dict)
    customer: object = None
    other_customer: object = None
    product: object = None
    quote_doc: object = None
    contract: object = None
    secret_doc: object = None
    accepted_quote: object = None
    open_quote: object = None
    order: object = None
    record: object = None
    opportunity: object = None

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def build_world() -> World:
    world = World()
    east = factories.DepartmentFactory(code="sales-east", name="华东销售部 Sales East")
    north = factories.DepartmentFactory(code="sales-north", name="华北销售部 Sales North")
    service = factories.DepartmentFactory(code="service", name="售后服务部 Service")
    compliance = factories.DepartmentFactory(code="compliance", name="合规部 Compliance")
    management = factories.DepartmentFactory(code="management", name="管理层 Management")
    make = factories.UserFactory
    world.users = {
        "rep": make(username="wang.fang", display_name="王芳", department=east, preferred_language="zh-hans"),
        "colleague": make(username="chen.jing", display_name="陈静", department=east),
        "team": make(username="li.lei", display_name="李雷", department=north),
        "outsider": make(username="zhang.wei", display_name="张伟", department=north),
        "engineer": make(username="tom.becker", display_name="Tom Becker", role=Role.SERVICE, department=service,
                         preferred_language="en"),
        "compliance": make(username="zhao.jing", display_name="赵静", role=Role.COMPLIANCE, department=compliance),
        "admin": make(username="wu.lei", display_name="吴磊", role=Role.ADMIN, department=management),
    }
    rep, team = world.users["rep"], world.users["team"]

    from tests.crm.factories import CustomerFactory

    world.customer = CustomerFactory(name="上海精工机械有限公司", region="上海", code="SH-JG", owner=rep,
                                     industry="机床 Machine tools")
    world.other_customer = CustomerFactory(name="北京远航科技", region="北京", owner=world.users["outsider"])
    AccountTeamMember.objects.create(customer=world.customer, user=team, role="co-seller")
    world.product = Product.objects.create(code="QH-CNC-200", name="数控车床 CNC lathe 200",
                                           list_price=Decimal("120000.00"))

    # Documents: an internal quote document (two versions, v1 approved), a confidential contract.
    world.quote_doc, _ = document_create(
        actor=rep, title="报价单 Q-2026-0001 上海精工", kind="quote", classification="internal",
        upload=upload(pdf_with_text("报价单 Quotation\n上海精工机械 数控车床 CNC lathe\n单价 118000"), "报价单-v1.pdf"),
        tags=["报价", "2026"], comment="初稿 first draft")
    document_version_approve(actor=rep, version=world.quote_doc.versions.get(number=1))
    world.contract, _ = document_create(
        actor=rep, title="供货合同 Supply contract 上海精工", kind="contract", classification="confidential",
        upload=upload(pdf_with_text("供货合同 Supply contract\n保密 confidential"), "contract.pdf"))
    world.secret_doc, _ = document_create(
        actor=world.users["admin"], title="董事会纪要 Board minutes", kind="other", classification="secret",
        upload=upload(pdf_with_text("董事会纪要 报价策略 Board minutes"), "minutes.pdf"))

    # Deals and quotes: an accepted quote of the rep's (with the quote document), an open one of the team's.
    world.opportunity = opportunity_services.opportunity_create(
        actor=rep, customer=world.customer, title="CNC 车床 10 台", amount=Decimal("1180000"), stage="proposal")
    world.accepted_quote, _ = quote_services.quote_create(
        actor=rep, customer=world.customer, opportunity=world.opportunity, number="Q-2026-0001",
        lines=[{"product": world.product.pk, "quantity": "10", "unit_price": "120000", "discount_percent": "1.5"}])
    quote_services.quote_attach_document(actor=rep, quote=world.accepted_quote, document=world.quote_doc)
    world.accepted_quote = quote_services.quote_status_change(actor=rep, quote=world.accepted_quote, status="sent")
    world.accepted_quote = quote_services.quote_status_change(actor=rep, quote=world.accepted_quote,
                                                              status="accepted")
    world.open_quote, _ = quote_services.quote_create(
        actor=team, customer=world.customer, number="Q-2026-0002",
        lines=[{"product": world.product.pk, "quantity": "2", "unit_price": "100000", "discount_percent": "0"}])
    document_link_create(actor=rep, document=world.contract, target=world.customer)

    # An order, invoiced and partly paid; an invoice already overdue.
    today = timezone.localdate()
    world.order = order_create(actor=rep, customer=world.customer, quote=world.accepted_quote, lines=None,
                               number="SO-2026-0001", signed_date=today - dt.timedelta(days=60))
    invoice = invoice_issue(actor=rep, order=world.order, amount="500000", number="INV-0001",
                            issued_on=today - dt.timedelta(days=50), due_on=today - dt.timedelta(days=20))
    payment_record(actor=rep, order=world.order, amount="200000", invoice=invoice,
                   received_on=today - dt.timedelta(days=10))

    # A service record dispatched to the engineer, awaiting his confirmation; a reminder for the rep.
    world.record = service_services.service_record_create(
        actor=rep, customer=world.customer, title="主轴异响 Spindle noise", priority="high", product=world.product)
    service_services.service_record_dispatch(actor=world.users["admin"], record=world.record,
                                             engineer=world.users["engineer"])
    Activity.objects.create(customer=world.customer, kind=ActivityKind.REMINDER, subject="回访客户 Call back",
                            owner=rep, due_at=timezone.now() + dt.timedelta(days=2))
    Activity.objects.create(customer=world.customer, kind=ActivityKind.VISIT, subject="现场拜访 On-site visit",
                            owner=rep, occurred_at=timezone.now() - dt.timedelta(days=3))
    return world
