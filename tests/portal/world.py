"""Two customers, each with a portal user, and everything the portal shows them.

Customer A (上海精工机械) and customer B (北京远航科技) each get: shared documents (one
downloadable brochure, one view-only price list rendered from a real PDF, one expired share),
an order with an invoice and a payment, a service request, portal articles (one for everyone,
one addressed to B only) and announcements. Tests take ids of B's records and try them as A.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from backend.accounts.models import Role
from backend.crm.models import ArticleStatus, ArticleVisibility, KnowledgeArticle, Product
from backend.crm.services.announcements import announcement_create
from backend.crm.services.knowledge import article_audience_set
from backend.documents.services import document_create
from backend.sharing.shares import document_share_create
from tests import factories
from tests.crm.factories import CustomerFactory, InvoiceFactory, OrderFactory, PaymentFactory, ServiceRecordFactory
from tests.portal_factories import PORTAL_PASSWORD, portal_user


def real_pdf(*lines: str, pages: int = 2) -> bytes:
    """A PDF a renderer can open (reportlab), with CJK text on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for number in range(1, pages + 1):
        pdf.setFont("STSong-Light", 16)
        for index, line in enumerate(lines or ("Dossier",)):
            pdf.drawString(72, 760 - 24 * index, f"{line} · {number}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 48, colour=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@dataclass
class PortalWorld:
    staff: dict = field(default_factory=dict)
    a: object = None
    b: object = None
    alice: object = None  # portal user of A
    bob: object = None  # portal user of B
    docs: dict = field(default_factory=dict)
    shares: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)
    articles: dict = field(default_factory=dict)
    announcements: dict = field(default_factory=dict)
    password: str = PORTAL_PASSWORD


def build_portal_world() -> PortalWorld:
    w = PortalWorld()
    sales = factories.DepartmentFactory(code="sales", name="销售部 Sales")
    service = factories.DepartmentFactory(code="service", name="售后服务部 Service")
    make = factories.UserFactory
    w.staff = {
        "rep": make(username="wang.fang", display_name="王芳", department=sales),
        "rep_b": make(username="li.lei", display_name="李雷", department=sales),
        "engineer": make(username="tom.becker", display_name="Tom Becker", role=Role.SERVICE, department=service),
        "admin": make(username="wu.lei", display_name="吴磊", role=Role.ADMIN, department=None),
    }
    rep, rep_b = w.staff["rep"], w.staff["rep_b"]
    w.a = CustomerFactory(name="上海精工机械有限公司", owner=rep, region="上海")
    w.b = CustomerFactory(name="北京远航科技", owner=rep_b, region="北京")
    w.alice = portal_user(w.a, email="alice@jinggong.example.com", name="刘丽 Alice", invited_by=rep)
    w.bob = portal_user(w.b, email="bob@yuanhang.example.com", name="Bob Zhao", invited_by=rep_b)

    def doc(owner, title, filename, content, kind="product_material", classification="public"):
        created, _ = document_create(actor=owner, title=title, kind=kind, classification=classification,
                                     upload=factories.upload_source(content, filename))
        return created

    w.docs["brochure"] = doc(rep, "数控车床 CNC-200 产品手册 brochure", "brochure.pdf",
                             real_pdf("数控车床 CNC-200", "Product brochure"))
    w.docs["pricelist"] = doc(rep, "2026 价格表 Price list", "pricelist.pdf", real_pdf("价格表 Price list", pages=3))
    w.docs["old_manual"] = doc(rep, "Old manual", "manual.pdf", real_pdf("Manual"))
    w.docs["contract_b"] = doc(rep_b, "北京远航 合同 Contract", "contract-b.pdf", real_pdf("合同 Contract B"),
                               kind="contract", classification="internal")
    w.shares["brochure"] = document_share_create(actor=rep, document=w.docs["brochure"], customer=w.a,
                                                 downloadable=True)
    w.shares["pricelist"] = document_share_create(actor=rep, document=w.docs["pricelist"], customer=w.a,
                                                  downloadable=False)
    expiring = document_share_create(actor=rep, document=w.docs["old_manual"], customer=w.a,
                                     expires_at=timezone.now() + dt.timedelta(minutes=5))
    type(expiring).objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    expiring.refresh_from_db()
    w.shares["expired"] = expiring
    w.shares["contract_b"] = document_share_create(actor=rep_b, document=w.docs["contract_b"], customer=w.b)

    product = Product.objects.create(code="CNC-200", name="数控车床 CNC-200", list_price=Decimal("120000.00"))
    for key, customer in (("a", w.a), ("b", w.b)):
        order = OrderFactory(customer=customer, total=Decimal("100000.00"))
        invoice = InvoiceFactory(order=order, amount=Decimal("60000.00"), issued_on=timezone.localdate(),
                                 due_on=timezone.localdate() + dt.timedelta(days=30))
        PaymentFactory(order=order, invoice=invoice, amount=Decimal("40000.00"), received_on=timezone.localdate(),
                       recorded_by=customer.owner)
        w.orders[key] = order
        w.records[key] = ServiceRecordFactory(customer=customer, title=f"主轴异响 Spindle noise {key.upper()}",
                                              created_by=customer.owner, product=product)

    def article(title, body, visibility=ArticleVisibility.PORTAL, status=ArticleStatus.PUBLISHED):
        now = timezone.now()
        return KnowledgeArticle.objects.create(title=title, body=body, visibility=visibility, status=status,
                                               author=w.staff["engineer"], product=product, created_at=now,
                                               updated_at=now, published_at=now if status == "published" else None)

    w.articles["public"] = article("数控机床主轴保养 Spindle maintenance",
                                   "每月检查主轴润滑。Check the spindle lubrication every month.")
    w.articles["b_only"] = article("远航专用 接口说明 Interface notes", "仅供远航 only for Yuanhang: 接口 interface")
    article_audience_set(actor=w.staff["engineer"], article=w.articles["b_only"], customers=[w.b])
    w.articles["internal"] = article("内部 定价策略 Pricing strategy", "内部 internal only", ArticleVisibility.INTERNAL)
    w.articles["draft"] = article("草稿 主轴 Draft spindle", "draft", status=ArticleStatus.DRAFT)
    from indexing.articles import articles_sync

    articles_sync([a.pk for a in w.articles.values()])

    w.announcements["all"] = announcement_create(actor=rep, title="春节服务安排 Holiday service hours",
                                                 body="春节期间热线照常。Hotline open.", publish=True)
    w.announcements["b_only"] = announcement_create(actor=rep_b, title="远航 维护窗口 Maintenance window",
                                                    body="For B only", customers=[w.b], publish=True)
    w.announcements["draft"] = announcement_create(actor=rep, title="Draft announcement", body="not yet")
    return w
