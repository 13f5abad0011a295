"""The demo company: departments, people, ~40 documents, and one pass that creates whatever is missing.

Everything goes through the real services (accounts, documents, access), so
the bytes are in the configured object store and every write is in the audit
trail, exactly as if the demo users had done it themselves.

The pass converges: each step first looks for what it would create (documents
and later versions by their idempotency keys, grants and approvals by their
rows) and only renders and uploads what is not there yet. An interrupted seed
is finished by the next run. The last document of the plan is the marker that
the seed once completed; while it exists, `seed_demo()` returns at once and
never undoes what demo users changed since (a checked-in document stays
checked in, a deleted one stays deleted).

The plan is drawn from `random.Random(2026)` before anything is written, so
the content is the same on every machine and every run.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.test.utils import override_settings
from django.utils import timezone

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.access.policy import CODENAMES, Action
from backend.access.services import document_permission_grant
from backend.accounts.models import Department, Role, User
from backend.accounts.services import department_create, user_create
from backend.documents.models import Classification, Document, DocumentKind, DocumentVersion, VersionStatus
from backend.documents.services import (
    UploadSource,
    document_checkout,
    document_create,
    document_version_approve,
    document_version_create,
)
from demo.compose.contracts import ContractTerms, framework_agreement, mutual_nda, sales_contract, service_agreement
from demo.compose.lines import Line
from demo.compose.products import brochure, installation_guide, model_comparison_workbook, spec_sheet_rows
from demo.compose.quotes import QuoteTerms, price_list_workbook, quote_body, quote_workbook
from demo.compose.reports import (
    bid_retrospective,
    compliance_review,
    demo_guide,
    export_screening,
    maintenance_checklist,
    margin_analysis_workbook,
    meeting_minutes,
    service_report,
    visit_report,
)
from demo.compose.tenders import TenderTerms, technical_proposal, tender_price_workbook, tender_response
from demo.files.body import MARKINGS, Body
from demo.files.office import render_docx
from demo.files.pdf import render_pdf
from demo.files.text import render_csv, render_text
from demo.world import CUSTOMERS, EXTRAS, PRODUCTS

DEMO_PASSWORD = "dossier-demo"
SEED = 2026
KEY_PREFIX = "demo:"
# The plan's last document. Its existence means a seed once ran to the end.
FINAL_KEY = "demo-guide"
# The demo's checked-out document should still read "checked out" next week.
DEMO_CHECKOUT_SECONDS = 180 * 24 * 3600

K = DocumentKind
CL = Classification


# =============================================================================================
# People
# =============================================================================================


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str


@dataclass(frozen=True)
class PersonSpec:
    username: str
    display_name: str
    role: str
    department: str
    job: str
    language: str = "zh-hans"

    @property
    def email(self) -> str:
        return f"{self.username}@qiheng.example"


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("sales-east", "Sales East (华东销售部)"),
    DepartmentSpec("sales-north", "Sales North (华北销售部)"),
    DepartmentSpec("service", "Service (售后服务部)"),
    DepartmentSpec("compliance", "Compliance (合规部)"),
    DepartmentSpec("management", "Management (管理层)"),
)

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("admin", "吴磊 Wu Lei", Role.ADMIN, "management", "IT administrator / 系统管理员"),
    PersonSpec("sun.hao", "孙浩", Role.STAFF, "management", "General manager / 总经理"),
    PersonSpec("david.liu", "David Liu", Role.STAFF, "management", "Finance controller / 财务总监", language="en"),
    PersonSpec("zhou.ting", "周婷", Role.STAFF, "management", "Marketing / 市场专员"),
    PersonSpec("wang.fang", "王芳", Role.SALES, "sales-east", "Key account manager / 大客户经理"),
    PersonSpec("sarah.chen", "Sarah Chen", Role.SALES, "sales-east", "Export sales / 外贸销售", language="en"),
    PersonSpec("chen.jing", "陈静", Role.SALES, "sales-east", "Sales engineer / 销售工程师"),
    PersonSpec("zhang.wei", "张伟", Role.SALES, "sales-north", "Regional sales manager / 区域销售经理"),
    PersonSpec("li.lei", "李雷", Role.SALES, "sales-north", "Sales engineer / 销售工程师"),
    PersonSpec("liu.yang", "刘洋", Role.SERVICE, "service", "Service manager / 服务经理"),
    PersonSpec("tom.becker", "Tom Becker", Role.SERVICE, "service", "Field service engineer", language="en"),
    PersonSpec("compliance", "赵静 Zhao Jing", Role.COMPLIANCE, "compliance", "Compliance officer / 合规官"),
    PersonSpec("emma.wright", "Emma Wright", Role.COMPLIANCE, "compliance", "Export control / 出口管制", language="en"),
)
PEOPLE_BY_USERNAME = {person.username: person for person in PEOPLE}
DEPARTMENT_NAMES = {spec.code: spec.name for spec in DEPARTMENTS}


def _name(username: str) -> str:
    return PEOPLE_BY_USERNAME[username].display_name


# =============================================================================================
# The plan
# =============================================================================================


@dataclass(frozen=True)
class Approval:
    by: str
    valid_days: int | None = None  # valid until today + N days
    expired_on: dt.date | None = None  # an approval that has already run out

    def valid_until(self, today: dt.date) -> dt.date | None:
        if self.expired_on is not None:
            return min(self.expired_on, today - dt.timedelta(days=1))
        if self.valid_days is not None:
            return today + dt.timedelta(days=self.valid_days)
        return None


@dataclass(frozen=True)
class VersionPlan:
    filename: str
    render: Callable[[], bytes]  # rendered only when the version has to be uploaded
    comment: str = ""
    by: str | None = None  # the uploader; the owner when None
    approve: Approval | None = None


@dataclass(frozen=True)
class GrantPlan:
    level: Action
    user: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class DocumentPlan:
    key: str
    title: str
    kind: str
    classification: str
    owner: str
    versions: tuple[VersionPlan, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    grants: tuple[GrantPlan, ...] = ()
    checked_out_by: str | None = None

    @property
    def idempotency_key(self) -> str:
        return KEY_PREFIX + self.key


def _pdf(body: Body) -> Callable[[], bytes]:
    return partial(render_pdf, body)


def _docx(body: Body) -> Callable[[], bytes]:
    return partial(render_docx, body)


def _text(body: Body) -> Callable[[], bytes]:
    return partial(render_text, body)


def _csv(rows) -> Callable[[], bytes]:
    return partial(render_csv, rows)


class _Draw:
    """The plan's random choices, all from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def day(self, first_month: int, last_month: int, year: int = 2026) -> dt.date:
        start = dt.date(year, first_month, 1)
        end = dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
        day = start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
        while day.weekday() >= 5:  # documents are written on working days
            day -= dt.timedelta(days=1)
        return max(day, start)

    def discount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randint(low, high)) / 100

    def quantity(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, items):
        return self.rng.choice(items)


def _lines(*items: tuple[str, int, Decimal], currency_rate: Decimal = Decimal(1)) -> tuple[Line, ...]:
    """(product or extra code, quantity, discount) -> quote lines at list price (converted for export)."""
    lines = []
    for code, quantity, discount in items:
        product = PRODUCTS.get(code) or EXTRAS[code]
        price = (product.price / currency_rate).quantize(Decimal("100")) if currency_rate != 1 else product.price
        lines.append(Line(product, quantity, price, discount))
    return tuple(lines)


def _with_discount(lines: tuple[Line, ...], machines: Decimal) -> tuple[Line, ...]:
    """The same lines with a new discount on the machines (services keep theirs)."""
    machine_codes = {product.code for product in PRODUCTS.values()}
    return tuple(
        Line(line.item, line.quantity, line.unit_price, machines if line.item.code in machine_codes else line.discount)
        for line in lines
    )


def demo_plan() -> list[DocumentPlan]:
    """Every demo document, in the order they are created. The last one is FINAL_KEY."""
    draw = _Draw(SEED)
    customer = CUSTOMERS
    zero = Decimal(0)
    plans: list[DocumentPlan] = []
    add = plans.append

    # --- Sales East: 上海华东精密 -------------------------------------------------------------
    huadong = customer["huadong"]
    huadong_lines = _lines(("VMC850", 4, draw.discount(4, 7)), ("TSC", 4, zero), ("INSTALL", 4, zero))
    signed = draw.day(3, 4)
    contract_v1 = ContractTerms(
        "HD-2026-031", huadong, huadong_lines, signed, "30-60-10", 90, seller_rep=_name("wang.fang")
    )
    contract_v2 = ContractTerms(
        "HD-2026-031", huadong, huadong_lines, signed + dt.timedelta(days=6), "net60", 75,
        seller_rep=_name("wang.fang"),
        revision_note="根据买方意见，付款方式由 30/60/10 调整为 net 60，交货期由 90 天缩短为 75 天。",
    )
    confidential = MARKINGS[CL.CONFIDENTIAL]
    add(DocumentPlan(
        key="contract-huadong", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="wang.fang",
        title=f"销售合同 HD-2026-031 {huadong.zh}（QH-VMC850 × 4）",
        description="四台立式加工中心及安装调试。第 2 版按客户意见改为 net 60 付款，已审批。",
        tags=("销售合同", huadong.zh, "QH-VMC850", "net 60"),
        versions=(
            VersionPlan("销售合同_HD-2026-031_上海华东精密.pdf",
                        _pdf(sales_contract(contract_v1, lang="zh", marking=confidential, author="wang.fang")),
                        comment="初稿，发客户法务审阅"),
            VersionPlan("销售合同_HD-2026-031_上海华东精密_v2.pdf",
                        _pdf(sales_contract(contract_v2, lang="zh", marking=confidential, author="wang.fang")),
                        comment="付款方式改为 net 60，交货期 75 天（客户意见）",
                        approve=Approval("wang.fang", valid_days=365)),
        ),
        grants=(GrantPlan(Action.CHANGE, user="sarah.chen"), GrantPlan(Action.VIEW, department="management")),
        checked_out_by="sarah.chen",
    ))

    huadong_quote = QuoteTerms(
        "QT-2026-0112", huadong,
        _lines(("VMC850", 4, draw.discount(3, 5)), ("TSC", 4, zero), ("PROBE", 2, zero), ("INSTALL", 4, zero),
               ("TRAINING", 1, zero)),
        draw.day(2, 2), _name("wang.fang"), delivery_days=90,
    )
    huadong_quote_v2 = QuoteTerms(
        huadong_quote.number, huadong,
        _with_discount(huadong_quote.lines, huadong_quote.lines[0].discount + Decimal("0.02")),
        huadong_quote.issued_on + dt.timedelta(days=9), huadong_quote.salesperson, delivery_days=75, revision=2,
        note="按客户采购部要求追加 2% 折扣，交货期缩短至 75 天。",
    )
    add(DocumentPlan(
        key="quote-huadong", kind=K.QUOTE, classification=CL.INTERNAL, owner="wang.fang",
        title=f"报价单 QT-2026-0112 {huadong.zh}", tags=("报价单", huadong.zh, "QH-VMC850"),
        description="VMC850 四台，含中心出水、测头、安装培训。第 2 版追加 2% 折扣，待审批。",
        versions=(
            VersionPlan("报价单_QT-2026-0112.xlsx", partial(quote_workbook, huadong_quote, author="wang.fang"),
                        comment="首次报价"),
            VersionPlan("报价单_QT-2026-0112_Rev2.xlsx", partial(quote_workbook, huadong_quote_v2, author="wang.fang"),
                        comment="追加 2% 折扣，交货期 75 天"),
        ),
    ))

    # --- Sales East: Shenzhen Bright Optics (English) -----------------------------------------
    bright = customer["bright_optics"]
    first_discount = draw.discount(2, 4)
    bright_lines = _lines(
        ("5AX400", 2, first_discount), ("PROBE", 2, zero), ("INSTALL", 2, zero), ("TRAINING", 2, zero)
    )
    bright_day = draw.day(4, 5)
    revisions = (
        (bright_lines, "30-60-10", 120, "First offer."),
        (_with_discount(bright_lines, first_discount + Decimal("0.02")), "30-60-10", 90,
         "Delivery shortened to 90 days; additional 2% discount."),
        (_with_discount(bright_lines, first_discount + Decimal("0.03")), "20-net60", 90,
         "Final offer: 20% down payment, balance net 60."),
    )
    bright_quotes = [
        QuoteTerms("QT-2026-0147", bright, lines, bright_day + dt.timedelta(days=7 * n), _name("sarah.chen"),
                     lang="en", payment=payment, delivery_days=days, revision=n + 1, note=note)
        for n, (lines, payment, days, note) in enumerate(revisions)
    ]
    add(DocumentPlan(
        key="quote-bright-optics", kind=K.QUOTE, classification=CL.INTERNAL, owner="sarah.chen",
        title=f"Quotation QT-2026-0147 {bright.en}", tags=("quotation", bright.en, "QH-5AX400"),
        description="Two 5-axis machining centers for optical moulds. Three revisions; Rev.3 approved.",
        versions=tuple(
            VersionPlan(f"Quotation_QT-2026-0147_Rev{n + 1}.pdf",
                        _pdf(quote_body(terms, author="sarah.chen", marking=MARKINGS[CL.INTERNAL])),
                        comment=revisions[n][3],
                        approve=Approval("sarah.chen", valid_days=30) if n == 2 else None)
            for n, terms in enumerate(bright_quotes)
        ),
    ))
    add(DocumentPlan(
        key="nda-bright-optics", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="sarah.chen",
        title=f"Mutual NDA — {bright.en}", tags=("NDA", bright.en),
        description="Mutual non-disclosure agreement before sharing mould drawings.",
        versions=(VersionPlan("NDA_Shenzhen_Bright_Optics.docx", _docx(mutual_nda(
            number="NDA-2026-014", customer=bright, signed_on=bright_day - dt.timedelta(days=20), author="sarah.chen",
            marking=confidential))),),
        grants=(GrantPlan(Action.VIEW, user="compliance"),),
    ))
    bright_contract = ContractTerms(
        "SC-2026-058", bright, bright_quotes[-1].lines, bright_day + dt.timedelta(days=24), "20-net60", 90,
        warranty_months=18, seller_rep=_name("sarah.chen"),
    )
    add(DocumentPlan(
        key="contract-bright-optics", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="sarah.chen",
        title=f"Sales Contract SC-2026-058 {bright.en} (QH-5AX400 × 2)",
        tags=("sales contract", bright.en, "QH-5AX400"),
        description="Signed contract from quotation QT-2026-0147 Rev.3; 18 months warranty.",
        versions=(VersionPlan("Sales_Contract_SC-2026-058.docx", _docx(sales_contract(
            bright_contract, lang="en", marking=confidential, author="sarah.chen")),
            approve=Approval("sarah.chen", valid_days=730)),),
        grants=(GrantPlan(Action.VIEW, department="management"),),
    ))

    # --- Sales East: 苏州恒泰电子, 杭州中捷, 宁波东方模具 ----------------------------------------
    hengtai = customer["hengtai"]
    hengtai_lines = _lines(("CK6150", 6, draw.discount(5, 8)), ("VMC850", 2, draw.discount(3, 6)), ("INSTALL", 8, zero))
    hengtai_quote = QuoteTerms("QT-2026-0098", hengtai, hengtai_lines, draw.day(1, 2), _name("chen.jing"),
                                 payment="30-60-10", delivery_days=60)
    add(DocumentPlan(
        key="quote-hengtai", kind=K.QUOTE, classification=CL.INTERNAL, owner="chen.jing",
        title=f"报价单 QT-2026-0098 {hengtai.zh}", tags=("报价单", hengtai.zh, "QH-CK6150"),
        versions=(VersionPlan("报价单_QT-2026-0098_恒泰电子.pdf",
                              _pdf(quote_body(hengtai_quote, author="chen.jing", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    hengtai_contract = ContractTerms("SZ-2026-044", hengtai, hengtai_lines,
                                       hengtai_quote.issued_on + dt.timedelta(days=30), "30-60-10", 60,
                                       seller_rep=_name("chen.jing"))
    add(DocumentPlan(
        key="contract-hengtai", kind=K.CONTRACT, classification=CL.INTERNAL, owner="chen.jing",
        title=f"销售合同 SZ-2026-044 {hengtai.zh}", tags=("销售合同", hengtai.zh),
        versions=(VersionPlan("销售合同_SZ-2026-044.docx", _docx(sales_contract(
            hengtai_contract, lang="zh", marking=MARKINGS[CL.INTERNAL], author="chen.jing"))),),
    ))
    zhongjie = customer["zhongjie"]
    zhongjie_tender = TenderTerms(
        "数控车床及加工中心采购项目", "HZZJ-2026-ZB-009", zhongjie,
        _lines(("CK6150", 8, draw.discount(6, 9)), ("VMC1160", 2, draw.discount(4, 7)), ("INSTALL", 10, zero)),
        draw.day(5, 6), delivery_days=80,
    )
    add(DocumentPlan(
        key="bid-zhongjie", kind=K.BID, classification=CL.CONFIDENTIAL, owner="chen.jing",
        title=f"投标书 {zhongjie.zh} 数控车床及加工中心采购项目", tags=("投标书", zhongjie.zh, "数控机床"),
        versions=(VersionPlan("投标书_HZZJ-2026-ZB-009.pdf", _pdf(tender_response(
            zhongjie_tender, author="chen.jing", marking=confidential, bidder_rep=_name("chen.jing")))),),
        grants=(GrantPlan(Action.DOWNLOAD, department="sales-east"),),
    ))
    add(DocumentPlan(
        key="framework-zhongjie", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="chen.jing",
        title=f"2026 年度采购框架协议 {zhongjie.zh}", tags=("框架协议", zhongjie.zh),
        versions=(VersionPlan("框架协议_2026_杭州中捷.docx", _docx(framework_agreement(
            number="FA-2026-003", customer=zhongjie, year=2026, volume=Decimal(draw.quantity(30, 45) * 100000),
            rebate=Decimal(draw.quantity(15, 30)) / 1000, author="chen.jing", marking=confidential))),),
    ))
    orient = customer["orient_mould"]
    orient_quote = QuoteTerms(
        "QT-2026-0163", orient,
        _lines(("VMC1160", 3, draw.discount(4, 7)), ("GMC2016", 1, draw.discount(3, 5)), ("ROTARY", 1, zero),
               ("CHIP", 1, zero), ("INSTALL", 4, zero)),
        draw.day(6, 7), _name("wang.fang"), payment="20-net60", delivery_days=100,
    )
    add(DocumentPlan(
        key="quote-orient-mould", kind=K.QUOTE, classification=CL.INTERNAL, owner="wang.fang",
        title=f"报价单 QT-2026-0163 {orient.zh}", tags=("报价单", orient.zh, "QH-GMC2016"),
        versions=(VersionPlan("报价单_QT-2026-0163_宁波东方模具.xlsx",
                              partial(quote_workbook, orient_quote, author="wang.fang")),),
    ))
    add(DocumentPlan(
        key="visit-huadong", kind=K.OTHER, classification=CL.INTERNAL, owner="wang.fang",
        title=f"客户拜访纪要 {huadong.zh} 2026-02", tags=("拜访纪要", huadong.zh),
        versions=(VersionPlan("拜访纪要_上海华东精密_2026-02.txt", _text(visit_report(
            customer=huadong, visited_on=draw.day(2, 2), author_name=_name("wang.fang"),
            attendees=(_name("wang.fang"), _name("chen.jing"), f"{huadong.contact_zh}（采购经理）", "顾工（设备科）"),
            next_steps=("3 月 10 日前提交正式报价（含中心出水和测头）", "安排客户到常州工厂看 VMC850 试切",
                        "与财务确认 net 60 付款条件的审批流程"),
            author="wang.fang", marking=MARKINGS[CL.INTERNAL]))),),
    ))

    # --- Sales North: 天津滨海 tender --------------------------------------------------------
    binhai = customer["binhai"]
    binhai_items = (("VMC850", 6), ("CK6150", 4), ("PROBE", 6), ("INSTALL", 10))
    first, second = draw.discount(6, 8), draw.discount(11, 13)
    submitted = draw.day(4, 4)
    binhai_versions = [
        TenderTerms("数控机床采购项目", "TJBH-2026-ZB-017", binhai,
                      _lines(*((code, qty, discount if code in PRODUCTS else zero) for code, qty in binhai_items)),
                      submitted - dt.timedelta(days=days), delivery_days=delivery, revision=n + 1)
        for n, (discount, days, delivery) in enumerate(((first, 12, 90), (second, 5, 90), (second, 2, 75)))
    ]
    add(DocumentPlan(
        key="bid-binhai", kind=K.BID, classification=CL.CONFIDENTIAL, owner="li.lei",
        title=f"投标书 {binhai.zh} 数控机床采购项目（TJBH-2026-ZB-017）",
        tags=("投标书", binhai.zh, "数控机床", "TJBH-2026-ZB-017"),
        description="六台立式加工中心、四台数控车床。第 2 版价格经总经理审批后定稿；第 3 版补充资质文件，待审批。",
        versions=(
            VersionPlan("投标书_TJBH-2026-ZB-017_v1.pdf", _pdf(tender_response(
                binhai_versions[0], author="li.lei", marking=confidential, bidder_rep=_name("li.lei"))),
                comment="初稿"),
            VersionPlan("投标书_TJBH-2026-ZB-017_v2.pdf", _pdf(tender_response(
                binhai_versions[1], author="zhang.wei", marking=confidential, bidder_rep=_name("li.lei"))),
                comment=f"整机折扣调整为 {second * 100:.0f}%（总经理已批）", by="zhang.wei",
                approve=Approval("zhang.wei", valid_days=90)),
            VersionPlan("投标书_TJBH-2026-ZB-017_v3.pdf", _pdf(tender_response(
                binhai_versions[2], author="li.lei", marking=confidential, bidder_rep=_name("li.lei"))),
                comment="补充资质文件，交货期改为 75 天"),
        ),
        grants=(GrantPlan(Action.MANAGE, user="zhang.wei"), GrantPlan(Action.DOWNLOAD, department="sales-north")),
    ))
    add(DocumentPlan(
        key="bid-binhai-price", kind=K.BID, classification=CL.SECRET, owner="li.lei",
        title="商务标价格明细 TJBH-2026-ZB-017（成本与毛利）", tags=("投标书", binhai.zh, "价格", "绝密"),
        description="投标单价、成本价、毛利率和竞争对手预估报价。",
        versions=(VersionPlan("商务标价格明细_TJBH-2026-ZB-017.xlsx", partial(
            tender_price_workbook, binhai_versions[1], author="li.lei", cost_ratio=Decimal("0.74"))),),
        grants=(GrantPlan(Action.MANAGE, user="zhang.wei"), GrantPlan(Action.DOWNLOAD, department="management")),
    ))
    add(DocumentPlan(
        key="bid-binhai-tech", kind=K.BID, classification=CL.CONFIDENTIAL, owner="li.lei",
        title="技术标 TJBH-2026-ZB-017 技术方案与偏离表", tags=("投标书", "技术标", binhai.zh),
        versions=(VersionPlan("技术标_TJBH-2026-ZB-017.docx", _docx(technical_proposal(
            binhai_versions[1], author="li.lei", marking=confidential))),),
        grants=(GrantPlan(Action.VIEW, department="sales-north"),),
    ))

    # --- Sales North: 北京京北重工, 青岛海岸, 大连远洋 --------------------------------------------
    jingbei = customer["jingbei"]
    jingbei_lines = _lines(("GMC2016", 1, draw.discount(3, 5)), ("CHIP", 1, zero), ("INSTALL", 1, zero),
                           ("TRAINING", 2, zero))
    jingbei_quote = QuoteTerms("QT-2026-0075", jingbei, jingbei_lines, draw.day(1, 1), _name("zhang.wei"),
                                 delivery_days=120)
    add(DocumentPlan(
        key="quote-jingbei", kind=K.QUOTE, classification=CL.INTERNAL, owner="zhang.wei",
        title=f"报价单 QT-2026-0075 {jingbei.zh}", tags=("报价单", jingbei.zh, "QH-GMC2016"),
        versions=(VersionPlan("报价单_QT-2026-0075_京北重工.xlsx",
                              partial(quote_workbook, jingbei_quote, author="zhang.wei")),),
    ))
    add(DocumentPlan(
        key="contract-jingbei", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="zhang.wei",
        title=f"销售合同 BJ-2026-019 {jingbei.zh}（龙门加工中心）", tags=("销售合同", jingbei.zh, "QH-GMC2016"),
        versions=(VersionPlan("销售合同_BJ-2026-019.pdf", _pdf(sales_contract(
            ContractTerms("BJ-2026-019", jingbei, jingbei_lines, jingbei_quote.issued_on + dt.timedelta(days=40),
                            "30-60-10", 120, seller_rep=_name("zhang.wei")),
            lang="zh", marking=confidential, author="zhang.wei")),
            approve=Approval("zhang.wei", valid_days=365)),),
        grants=(GrantPlan(Action.VIEW, department="management"),),
    ))
    coastline = customer["coastline"]
    add(DocumentPlan(
        key="bid-coastline", kind=K.BID, classification=CL.CONFIDENTIAL, owner="li.lei",
        title=f"投标书 {coastline.zh} 卧式加工中心采购项目", tags=("投标书", coastline.zh, "QH-HMC630"),
        versions=(VersionPlan("投标书_QDHA-2026-036.docx", _docx(tender_response(
            TenderTerms("卧式加工中心采购项目", "QDHA-2026-036", coastline,
                          _lines(("HMC630", 2, draw.discount(5, 8)), ("INSTALL", 2, zero), ("TRAINING", 2, zero)),
                          draw.day(7, 8), delivery_days=120,
                          deviations=(("托盘尺寸 ≥ 630 mm", "630 × 630 mm", "无偏离"),
                                      ("B 轴分度 ≤ 0.001°", "0.001°", "无偏离"),
                                      ("主轴锥孔 BT50", "BT50", "无偏离"),
                                      ("交货期 ≤ 100 天", "120 天", "负偏离（可加急至 100 天，另计费用）"))),
            author="li.lei", marking=confidential, bidder_rep=_name("li.lei")))),),
        grants=(GrantPlan(Action.VIEW, department="sales-north"),),
    ))
    yuanyang = customer["yuanyang"]
    add(DocumentPlan(
        key="quote-yuanyang", kind=K.QUOTE, classification=CL.INTERNAL, owner="li.lei",
        title=f"报价单 QT-2026-0121 {yuanyang.zh}", tags=("报价单", yuanyang.zh),
        versions=(VersionPlan("报价单_QT-2026-0121_大连远洋.pdf", _pdf(quote_body(
            QuoteTerms("QT-2026-0121", yuanyang,
                         _lines(("VMC1160", 2, draw.discount(3, 6)), ("CK6150", 3, draw.discount(5, 8)),
                                ("INSTALL", 5, zero)),
                         draw.day(5, 6), _name("li.lei"), payment="net60", delivery_days=70),
            author="li.lei", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    add(DocumentPlan(
        key="bid-retrospective", kind=K.OTHER, classification=CL.INTERNAL, owner="zhang.wei",
        title="投标复盘 天津滨海 TJBH-2026-ZB-017", tags=("投标复盘", binhai.zh),
        versions=(VersionPlan("投标复盘_TJBH-2026-ZB-017.txt", _text(bid_retrospective(
            author="zhang.wei", marking=MARKINGS[CL.INTERNAL], customer=binhai, tender_no="TJBH-2026-ZB-017"))),),
    ))
    add(DocumentPlan(
        key="minutes-w15", kind=K.OTHER, classification=CL.INTERNAL, owner="zhang.wei",
        title="销售周例会纪要 2026-W15（华北销售部）", tags=("周例会",),
        versions=(VersionPlan("周例会纪要_2026-W15.txt", _text(meeting_minutes(
            week="2026-W15", held_on=dt.date(2026, 4, 6),
            attendees=(_name("zhang.wei"), _name("li.lei"), _name("liu.yang")),
            items=(("天津滨海 数控机床采购项目", "投标文件第二版定稿，4 月中旬开标", _name("li.lei")),
                   ("北京京北重工 龙门加工中心", "合同已签，预验收排期中", _name("zhang.wei")),
                   ("大连远洋 液压阀体加工", "已报价，客户比价中", _name("li.lei")),
                   ("青岛海岸 卧加项目", "招标文件已购买，技术交流安排在下周", _name("li.lei"))),
            author="zhang.wei", marking=MARKINGS[CL.INTERNAL]))),),
    ))

    # --- Export: Rhein Präzisionstechnik (EUR) ---------------------------------------------------
    rhein = customer["rhein"]
    eur = Decimal("7.8")
    rhein_lines = _lines(
        ("5AX400", 1, draw.discount(0, 2)), ("PROBE", 1, zero), ("TRAINING", 1, zero), currency_rate=eur
    )
    rhein_day = draw.day(8, 9)
    add(DocumentPlan(
        key="quote-rhein", kind=K.QUOTE, classification=CL.INTERNAL, owner="sarah.chen",
        title=f"Quotation QT-2026-0180 {rhein.en}", tags=("quotation", rhein.en, "QH-5AX400", "export"),
        versions=(VersionPlan("Quotation_QT-2026-0180_Rhein.xlsx", partial(quote_workbook, QuoteTerms(
            "QT-2026-0180", rhein, rhein_lines, rhein_day, _name("sarah.chen"), lang="en", currency="EUR",
            payment="lc", delivery_days=100, validity_days=45), author="sarah.chen")),),
    ))
    add(DocumentPlan(
        key="contract-rhein", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="sarah.chen",
        title=f"Sales Contract SC-2026-071 {rhein.en}", tags=("sales contract", rhein.en, "export", "L/C"),
        description="Export contract, CIF Hamburg, letter of credit at sight. Ships only after the export licence.",
        versions=(VersionPlan("Sales_Contract_SC-2026-071_Rhein.pdf", _pdf(sales_contract(
            ContractTerms("SC-2026-071", rhein, rhein_lines, rhein_day + dt.timedelta(days=18), "lc", 100,
                            currency="EUR", incoterm="CIF Hamburg", seller_rep=_name("sarah.chen")),
            lang="en", marking=confidential, author="sarah.chen"))),),
    ))

    # --- Product material (marketing) --------------------------------------------------------------
    vmc850 = PRODUCTS["VMC850"]
    add(DocumentPlan(
        key="brochure-vmc850-zh", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="产品手册 QH-VMC850 立式加工中心", tags=("产品手册", "QH-VMC850"),
        description="2026 版已取代 2025 版。",
        versions=(
            VersionPlan("产品手册_QH-VMC850_2025.pdf",
                        _pdf(brochure(vmc850, lang="zh", edition="2025 版", author="zhou.ting")),
                        comment="2025 版", approve=Approval("admin")),
            VersionPlan("产品手册_QH-VMC850_2026.pdf",
                        _pdf(brochure(vmc850, lang="zh", edition="2026 版", author="zhou.ting")),
                        comment="2026 版：更新数控系统和服务网点", approve=Approval("admin")),
        ),
    ))
    for key, code, lang, edition, filename in (
        ("brochure-vmc850-en", "VMC850", "en", "2026 edition", "Brochure_QH-VMC850_EN.pdf"),
        ("brochure-ck6150-zh", "CK6150", "zh", "2026 版", "产品手册_QH-CK6150.pdf"),
        ("brochure-hmc630-en", "HMC630", "en", "2026 edition", "Brochure_QH-HMC630_EN.pdf"),
        ("brochure-5ax400-zh", "5AX400", "zh", "2026 版", "产品手册_QH-5AX400.pdf"),
    ):
        product = PRODUCTS[code]
        add(DocumentPlan(
            key=key, kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
            title=(f"产品手册 {product.code} {product.name_zh}" if lang == "zh"
                   else f"Product brochure {product.code} {product.name_en}"),
            tags=("产品手册" if lang == "zh" else "brochure", product.code),
            versions=(
                VersionPlan(filename, _pdf(brochure(product, lang=lang, edition=edition, author="zhou.ting"))),
            ),
        ))
    gantry = PRODUCTS["GMC2016"]
    add(DocumentPlan(
        key="brochure-gmc2016-zh", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="产品手册 QH-GMC2016 龙门加工中心（可编辑版）", tags=("产品手册", gantry.code),
        versions=(VersionPlan("产品手册_QH-GMC2016.docx", _docx(brochure(gantry, lang="zh", edition="2026 版",
                                                                             author="zhou.ting"))),),
    ))
    add(DocumentPlan(
        key="spec-sheet", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="产品参数表 Product specifications (CSV)", tags=("参数表", "specifications"),
        versions=(VersionPlan("产品参数表_specifications.csv", _csv(spec_sheet_rows())),),
    ))
    add(DocumentPlan(
        key="model-comparison", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="机型对比 QH-VMC850 vs QH-VMC1160", tags=("选型", "QH-VMC850", "QH-VMC1160"),
        versions=(VersionPlan("机型对比_VMC850_VMC1160.xlsx",
                              partial(model_comparison_workbook, ("VMC850", "VMC1160"), author="zhou.ting")),),
    ))
    add(DocumentPlan(
        key="price-list-2025", kind=K.QUOTE, classification=CL.INTERNAL, owner="zhou.ting",
        title="产品价格表 2025 Price list", tags=("价格表", "price list", "2025"),
        description="Approved for 2025; expired at the end of the year.",
        versions=(VersionPlan("产品价格表_2025.xlsx", partial(
            price_list_workbook, year=2025, factor=Decimal("0.97"), author="zhou.ting",
            valid_from=dt.date(2025, 1, 1)),
            approve=Approval("admin", expired_on=dt.date(2025, 12, 31))),),
    ))
    add(DocumentPlan(
        key="price-list-2026", kind=K.QUOTE, classification=CL.INTERNAL, owner="zhou.ting",
        title="产品价格表 2026 Price list", tags=("价格表", "price list", "2026"),
        description="Version 1 is approved; version 2 (+3% on machines after the steel price increase) "
                    "awaits approval.",
        versions=(
            VersionPlan("产品价格表_2026.xlsx", partial(
                price_list_workbook, year=2026, factor=Decimal("1"), author="zhou.ting",
                valid_from=dt.date(2026, 1, 1)),
                approve=Approval("admin", valid_days=180)),
            VersionPlan("产品价格表_2026_调价.xlsx", partial(
                price_list_workbook, year=2026, factor=Decimal("1.03"), author="zhou.ting",
                valid_from=dt.date(2026, 12, 1), note="钢材涨价：整机目录价上调 3%，选配及服务不变。"),
                comment="钢材涨价，整机上调 3%（待审批）"),
        ),
    ))

    # --- Service ---------------------------------------------------------------------------------
    add(DocumentPlan(
        key="install-guide", kind=K.PRODUCT_MATERIAL, classification=CL.INTERNAL, owner="liu.yang",
        title="安装调试指南 QH-VMC 系列 Installation guide", tags=("安装调试", "QH-VMC850", "QH-VMC1160"),
        versions=(VersionPlan("安装调试指南_VMC.docx", _docx(installation_guide(
            author="liu.yang", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    add(DocumentPlan(
        key="service-agreement-huadong", kind=K.CONTRACT, classification=CL.INTERNAL, owner="liu.yang",
        title=f"年度维保服务合同 {huadong.zh}", tags=("维保", huadong.zh),
        versions=(VersionPlan("维保合同_SV-2026-008_上海华东精密.docx", _docx(service_agreement(
            number="SV-2026-008", customer=huadong, machines=(("QH-VMC850", 6), ("QH-CK6150", 2)),
            fee=Decimal(draw.quantity(9, 12) * 10000), start=dt.date(2026, 1, 1), author="liu.yang",
            marking=MARKINGS[CL.INTERNAL])),
            approve=Approval("admin", valid_days=365)),),
    ))
    add(DocumentPlan(
        key="service-report-hengtai", kind=K.OTHER, classification=CL.INTERNAL, owner="liu.yang",
        title=f"售后服务报告 SR-2026-0412 {hengtai.zh} 主轴异响", tags=("售后服务", hengtai.zh, "QH-VMC850"),
        versions=(VersionPlan("售后服务报告_SR-2026-0412.docx", _docx(service_report(
            number="SR-2026-0412", customer=hengtai, machine="QH-VMC850", serial="VMC850-2403-117",
            reported_on=draw.day(4, 4), engineer=_name("liu.yang"), author="liu.yang",
            marking=MARKINGS[CL.INTERNAL]))),),
    ))
    issues = ("主轴异响 spindle noise", "换刀卡刀 tool change jam", "X 轴回零报警 X home alarm", "冷却泵不出水 coolant pump",
              "定期保养 scheduled maintenance", "精度复检 accuracy check", "系统参数丢失 parameter loss",
              "润滑报警 lubrication alarm")
    engineers = (_name("liu.yang"), "Tom Becker", "孟凡", "郭晓东")
    machines = ("QH-VMC850", "QH-VMC1160", "QH-CK6150", "QH-HMC630")
    log = [("工单号 Ticket", "日期 Date", "客户 Customer", "设备 Machine", "问题 Issue", "工程师 Engineer",
            "工时 Hours", "状态 Status")]
    tickets = sorted(
        (draw.day(1, 10), draw.choice([cust.zh for cust in CUSTOMERS.values() if cust is not rhein]),
         draw.choice(machines), draw.choice(issues), draw.choice(engineers), str(draw.quantity(2, 16)),
         draw.choice(("已关闭 closed", "已关闭 closed", "已关闭 closed", "待备件 waiting for parts", "处理中 open")))
        for _ in range(24)
    )
    for number, (day, *rest) in enumerate(tickets, start=1):
        log.append((f"SR-2026-{300 + number * 7:04d}", day.isoformat(), *rest))
    add(DocumentPlan(
        key="service-log-2026", kind=K.OTHER, classification=CL.INTERNAL, owner="tom.becker",
        title="售后服务记录 2026 Service log", tags=("售后服务", "service log"),
        versions=(VersionPlan("service_log_2026.csv", _csv(log)),),
    ))
    add(DocumentPlan(
        key="maintenance-checklist", kind=K.OTHER, classification=CL.INTERNAL, owner="tom.becker",
        title="Preventive maintenance checklist — QH-VMC series", tags=("maintenance", "QH-VMC850"),
        versions=(VersionPlan("PM_checklist_VMC.txt", _text(maintenance_checklist(
            author="tom.becker", marking=MARKINGS[CL.INTERNAL]))),),
    ))

    # --- Compliance and management -----------------------------------------------------------------
    add(DocumentPlan(
        key="compliance-review-binhai", kind=K.OTHER, classification=CL.SECRET, owner="compliance",
        title="合规审查意见 CR-2026-011 天津滨海投标", tags=("合规", binhai.zh, "TJBH-2026-ZB-017"),
        description="Conditional approval: no intermediary before due diligence; entertainment overspend recorded.",
        versions=(VersionPlan("合规审查意见_CR-2026-011.docx", _docx(compliance_review(
            number="CR-2026-011", subject="天津滨海汽车零部件数控机床采购项目投标", customer=binhai,
            author="compliance", marking=MARKINGS[CL.SECRET], reviewed_on=submitted - dt.timedelta(days=3)))),),
        grants=(GrantPlan(Action.VIEW, department="management"), GrantPlan(Action.VIEW, user="li.lei")),
    ))
    add(DocumentPlan(
        key="export-screening-rhein", kind=K.OTHER, classification=CL.CONFIDENTIAL, owner="emma.wright",
        title=f"Export control screening ECS-2026-027 {rhein.en}", tags=("export control", rhein.en, "QH-5AX400"),
        versions=(VersionPlan("Export_screening_ECS-2026-027.pdf", _pdf(export_screening(
            number="ECS-2026-027", customer=rhein, machine="QH-5AX400", author="emma.wright", marking=confidential,
            screened_on=rhein_day + dt.timedelta(days=3)))),),
        grants=(GrantPlan(Action.VIEW, user="sarah.chen"),),
    ))
    owners = {"huadong": "wang.fang", "bright_optics": "sarah.chen", "zhongjie": "chen.jing", "hengtai": "chen.jing",
              "orient_mould": "wang.fang", "jingbei": "zhang.wei", "binhai": "li.lei", "coastline": "li.lei",
              "yuanyang": "li.lei", "rhein": "sarah.chen"}
    accounts = [("客户 Customer", "Customer (EN)", "城市 City", "负责人 Owner", "2025 销售额 Revenue 2025 (CNY)",
                 "2026 商机 Pipeline 2026 (CNY)", "等级 Tier", "信用额度 Credit limit (CNY)")]
    for code, cust in CUSTOMERS.items():
        revenue = draw.quantity(0, 60) * 100000
        accounts.append((cust.zh, cust.en, cust.city_zh, _name(owners[code]), str(revenue),
                         str(draw.quantity(10, 90) * 100000), "A" if revenue > 3000000 else draw.choice("BC"),
                         str(draw.quantity(5, 30) * 100000)))
    add(DocumentPlan(
        key="key-accounts-2026", kind=K.OTHER, classification=CL.CONFIDENTIAL, owner="sun.hao",
        title="重点客户名单 Key account list 2026", tags=("客户名单", "key accounts"),
        versions=(VersionPlan("key_accounts_2026.csv", _csv(accounts)),),
        grants=(
            GrantPlan(Action.DOWNLOAD, department="sales-east"),
            GrantPlan(Action.DOWNLOAD, department="sales-north"),
        ),
    ))
    deals = []
    for region, cust, model in (
        ("华东 East", huadong, "QH-VMC850"), ("华东 East", hengtai, "QH-CK6150"), ("华东 East", bright, "QH-5AX400"),
        ("华东 East", orient, "QH-GMC2016"), ("华北 North", jingbei, "QH-GMC2016"), ("华北 North", binhai, "QH-VMC850"),
        ("华北 North", yuanyang, "QH-VMC1160"), ("Export", rhein, "QH-5AX400"),
    ):
        revenue = Decimal(draw.quantity(8, 60) * 50000)
        deals.append((region, cust.name("zh"), model, revenue, (revenue * Decimal(draw.quantity(66, 82)) / 100)))
    add(DocumentPlan(
        key="margin-analysis-h1", kind=K.OTHER, classification=CL.SECRET, owner="david.liu",
        title="毛利分析 2026 H1 Margin analysis", tags=("毛利", "margin", "财务"),
        versions=(VersionPlan("margin_analysis_2026H1.xlsx",
                              partial(margin_analysis_workbook, deals, author="david.liu", period="2026 H1")),),
        grants=(GrantPlan(Action.DOWNLOAD, user="sun.hao"),),
    ))

    # --- The marker: written last ----------------------------------------------------------------
    add(DocumentPlan(
        key=FINAL_KEY, kind=K.OTHER, classification=CL.PUBLIC, owner="admin",
        title="Dossier 演示说明 Demo guide", tags=("demo", "演示"),
        versions=(VersionPlan("Dossier_demo_guide.txt", _text(demo_guide(
            logins=demo_logins(), author="admin"))),),
    ))
    assert plans[-1].key == FINAL_KEY
    return plans


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, name, role, department) of every demo user."""
    return [
        (person.username, person.display_name, Role(person.role).label, DEPARTMENT_NAMES[person.department])
        for person in PEOPLE
    ]


# =============================================================================================
# The seeding pass
# =============================================================================================


@dataclass
class SeedReport:
    already_present: bool = False
    departments_created: int = 0
    users_created: list[str] = field(default_factory=list)
    users_kept: list[str] = field(default_factory=list)  # existed before the seed; left untouched
    documents_created: int = 0
    versions_created: int = 0
    approvals: int = 0
    grants: int = 0
    checkouts: int = 0


def demo_present() -> bool:
    """Whether a seed has once run to the end (the plan's last document exists)."""
    return Document.objects.filter(
        owner__username=PEOPLE[0].username, idempotency_key=KEY_PREFIX + FINAL_KEY
    ).exists()


def _ensure_departments(report: SeedReport) -> dict[str, Department]:
    departments = {d.code: d for d in Department.objects.filter(code__in=[spec.code for spec in DEPARTMENTS])}
    for spec in DEPARTMENTS:
        if spec.code not in departments:
            departments[spec.code] = department_create(actor=None, code=spec.code, name=spec.name)
            report.departments_created += 1
    return departments


def _ensure_users(report: SeedReport, departments: dict[str, Department]) -> dict[str, User]:
    users = {u.username: u for u in User.objects.filter(username__in=[person.username for person in PEOPLE])}
    for person in PEOPLE:
        if person.username in users:
            report.users_kept.append(person.username)
            continue
        # actor=None: the system seeds. The admin role uses Django's admin through its role
        # (backend/access/admin_policy.py), not as a superuser.
        user = user_create(
            actor=None,
            username=person.username,
            password=DEMO_PASSWORD,
            role=person.role,
            department=departments[person.department],
            display_name=person.display_name,
            email=person.email,
            preferred_language=person.language,
        )
        users[person.username] = user
        report.users_created.append(person.username)
    return users


def _upload(version: VersionPlan) -> UploadSource:
    data = version.render()
    return UploadSource(stream=io.BytesIO(data), filename=version.filename, declared_size=len(data))


def _has_grant(document: Document, grant: GrantPlan, principal) -> bool:
    codename = CODENAMES[grant.level]
    if grant.user is not None:
        rows = DocumentUserObjectPermission.objects.filter(user=principal)
    else:
        rows = DocumentGroupObjectPermission.objects.filter(group=principal)
    return rows.filter(content_object=document, permission__codename=codename).exists()


def _ensure_document(
    plan: DocumentPlan,
    *,
    users: dict[str, User],
    departments: dict[str, Department],
    report: SeedReport,
    today: dt.date,
) -> Document:
    owner = users[plan.owner]
    document = Document.objects.filter(owner=owner, idempotency_key=plan.idempotency_key).first()
    if document is None:
        first = plan.versions[0]
        document, created = document_create(
            actor=owner,
            title=plan.title,
            kind=plan.kind,
            classification=plan.classification,
            upload=_upload(first),
            description=plan.description,
            tags=plan.tags,
            comment=first.comment,
            idempotency_key=plan.idempotency_key,
        )
        if created:
            report.documents_created += 1
            report.versions_created += 1

    # Grants first: a later version may be uploaded or approved by someone who holds one.
    for grant in plan.grants:
        principal = users[grant.user] if grant.user else departments[grant.department].group
        if not _has_grant(document, grant, principal):
            document_permission_grant(
                actor=owner,
                document=document,
                level=grant.level,
                user=principal if grant.user else None,
                group=None if grant.user else principal,
            )
            report.grants += 1

    for number, step in enumerate(plan.versions, start=1):
        key = f"{plan.idempotency_key}:v{number}"
        if number == 1:
            version = DocumentVersion.objects.get(document=document, number=1)
        else:
            version = DocumentVersion.objects.filter(document=document, idempotency_key=key).first()
            if version is None:
                version, created = document_version_create(
                    actor=users[step.by or plan.owner],
                    document=document,
                    upload=_upload(step),
                    comment=step.comment,
                    idempotency_key=key,
                )
                report.versions_created += int(created)
        if step.approve is not None and version.status == VersionStatus.DRAFT:
            version.document = document
            document_version_approve(
                actor=users[step.approve.by], version=version, valid_until=step.approve.valid_until(today)
            )
            report.approvals += 1

    if plan.checked_out_by:
        document.refresh_from_db()
        if document.lock_holder() is None:
            # A long check-out so that the demo still shows it after a few days.
            with override_settings(CHECKOUT_TTL_SECONDS=DEMO_CHECKOUT_SECONDS):
                document_checkout(actor=users[plan.checked_out_by], document=document)
            report.checkouts += 1
    return document


def seed_demo(*, progress: Callable[[str], None] | None = None) -> SeedReport:
    """Create whatever part of the demo is missing; return at once if a seed already completed."""
    report = SeedReport()
    if demo_present():
        report.already_present = True
        return report
    today = timezone.localdate()
    departments = _ensure_departments(report)
    users = _ensure_users(report, departments)
    for plan in demo_plan():
        _ensure_document(plan, users=users, departments=departments, report=report, today=today)
        if progress is not None:
            progress(plan.title)
    return report
