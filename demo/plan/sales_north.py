"""Sales North's documents: the 天津滨海 tender, 北京京北重工, 青岛海岸, 大连远洋, the team's own notes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from backend.access.policy import Action
from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.contracts import ContractTerms, sales_contract
from demo.compose.quotes import QuoteTerms, quote_body
from demo.compose.reports import bid_retrospective, meeting_minutes
from demo.compose.tenders import TenderTerms, technical_proposal, tender_price_workbook, tender_response
from demo.files.body import MARKINGS
from demo.people import person_name
from demo.plan.documents import (
    CONFIDENTIAL, ZERO, Approval, DocumentPlan, Draw, GrantPlan, VersionPlan, as_docx, as_pdf, as_text, quote_lines,
    workbook_quote,
)
from demo.world import CUSTOMERS, PRODUCTS


def binhai_tender(draw: Draw) -> tuple[list[DocumentPlan], dt.date]:
    """The 天津滨海 tender (three versions, its secret price workbook, the technical proposal), and the day
    it was submitted: the compliance review is dated from it."""
    plans: list[DocumentPlan] = []
    add = plans.append
    binhai = CUSTOMERS["binhai"]
    binhai_items = (("VMC850", 6), ("CK6150", 4), ("PROBE", 6), ("INSTALL", 10))
    first, second = draw.discount(6, 8), draw.discount(11, 13)
    submitted = draw.day(4, 4)
    binhai_versions = [
        TenderTerms("数控机床采购项目", "TJBH-2026-ZB-017", binhai,
                    quote_lines(*((code, qty, discount if code in PRODUCTS else ZERO) for code, qty in binhai_items)),
                    submitted - dt.timedelta(days=days), delivery_days=delivery, revision=n + 1)
        for n, (discount, days, delivery) in enumerate(((first, 12, 90), (second, 5, 90), (second, 2, 75)))
    ]
    add(DocumentPlan(
        key="bid-binhai", kind=K.BID, classification=CL.CONFIDENTIAL, owner="li.lei",
        title=f"投标书 {binhai.zh} 数控机床采购项目（TJBH-2026-ZB-017）",
        tags=("投标书", binhai.zh, "数控机床", "TJBH-2026-ZB-017"),
        description="六台立式加工中心、四台数控车床。第 2 版价格经总经理审批后定稿；第 3 版补充资质文件，待审批。",
        versions=(
            VersionPlan("投标书_TJBH-2026-ZB-017_v1.pdf", as_pdf(tender_response(
                binhai_versions[0], author="li.lei", marking=CONFIDENTIAL, bidder_rep=person_name("li.lei"))),
                comment="初稿"),
            VersionPlan("投标书_TJBH-2026-ZB-017_v2.pdf", as_pdf(tender_response(
                binhai_versions[1], author="zhang.wei", marking=CONFIDENTIAL, bidder_rep=person_name("li.lei"))),
                comment=f"整机折扣调整为 {second * 100:.0f}%（总经理已批）", by="zhang.wei",
                approve=Approval("li.lei", valid_days=90)),  # four eyes: not the uploader
            VersionPlan("投标书_TJBH-2026-ZB-017_v3.pdf", as_pdf(tender_response(
                binhai_versions[2], author="li.lei", marking=CONFIDENTIAL, bidder_rep=person_name("li.lei"))),
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
        versions=(VersionPlan("技术标_TJBH-2026-ZB-017.docx", as_docx(technical_proposal(
            binhai_versions[1], author="li.lei", marking=CONFIDENTIAL))),),
        grants=(GrantPlan(Action.READ, department="sales-north"),),
    ))
    return plans, submitted


def other_accounts(draw: Draw) -> list[DocumentPlan]:
    """京北重工's quote and contract, 青岛海岸's bid, 大连远洋's quote, the bid retrospective, weekly minutes."""
    plans: list[DocumentPlan] = []
    add = plans.append
    binhai = CUSTOMERS["binhai"]
    jingbei = CUSTOMERS["jingbei"]
    jingbei_lines = quote_lines(("GMC2016", 1, draw.discount(3, 5)), ("CHIP", 1, ZERO), ("INSTALL", 1, ZERO),
                                ("TRAINING", 2, ZERO))
    jingbei_quote = QuoteTerms("QT-2026-0075", jingbei, jingbei_lines, draw.day(1, 1), person_name("zhang.wei"),
                               delivery_days=120)
    add(workbook_quote("quote-jingbei", jingbei_quote, owner="zhang.wei", filename="报价单_QT-2026-0075_京北重工.xlsx",
                       model="QH-GMC2016"))
    add(DocumentPlan(
        key="contract-jingbei", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="zhang.wei",
        title=f"销售合同 BJ-2026-019 {jingbei.zh}（龙门加工中心）", tags=("销售合同", jingbei.zh, "QH-GMC2016"),
        versions=(VersionPlan("销售合同_BJ-2026-019.pdf", as_pdf(sales_contract(
            ContractTerms("BJ-2026-019", jingbei, jingbei_lines, jingbei_quote.issued_on + dt.timedelta(days=40),
                          "30-60-10", 120, seller_rep=person_name("zhang.wei")),
            lang="zh", marking=CONFIDENTIAL, author="zhang.wei")),
            approve=Approval("sun.hao", valid_days=365)),),  # four eyes: the general manager
        grants=(GrantPlan(Action.CHANGE, user="sun.hao"), GrantPlan(Action.READ, department="management")),
    ))
    coastline = CUSTOMERS["coastline"]
    add(DocumentPlan(
        key="bid-coastline", kind=K.BID, classification=CL.CONFIDENTIAL, owner="li.lei",
        title=f"投标书 {coastline.zh} 卧式加工中心采购项目", tags=("投标书", coastline.zh, "QH-HMC630"),
        versions=(VersionPlan("投标书_QDHA-2026-036.docx", as_docx(tender_response(
            TenderTerms("卧式加工中心采购项目", "QDHA-2026-036", coastline,
                        quote_lines(("HMC630", 2, draw.discount(5, 8)), ("INSTALL", 2, ZERO), ("TRAINING", 2, ZERO)),
                        draw.day(7, 8), delivery_days=120,
                        deviations=(("托盘尺寸 ≥ 630 mm", "630 × 630 mm", "无偏离"),
                                    ("B 轴分度 ≤ 0.001°", "0.001°", "无偏离"),
                                    ("主轴锥孔 BT50", "BT50", "无偏离"),
                                    ("交货期 ≤ 100 天", "120 天", "负偏离（可加急至 100 天，另计费用）"))),
            author="li.lei", marking=CONFIDENTIAL, bidder_rep=person_name("li.lei")))),),
        grants=(GrantPlan(Action.READ, department="sales-north"),),
    ))
    yuanyang = CUSTOMERS["yuanyang"]
    add(DocumentPlan(
        key="quote-yuanyang", kind=K.QUOTE, classification=CL.INTERNAL, owner="li.lei",
        title=f"报价单 QT-2026-0121 {yuanyang.zh}", tags=("报价单", yuanyang.zh),
        versions=(VersionPlan("报价单_QT-2026-0121_大连远洋.pdf", as_pdf(quote_body(
            QuoteTerms("QT-2026-0121", yuanyang,
                       quote_lines(("VMC1160", 2, draw.discount(3, 6)), ("CK6150", 3, draw.discount(5, 8)),
                                   ("INSTALL", 5, ZERO)),
                       draw.day(5, 6), person_name("li.lei"), payment="net60", delivery_days=70),
            author="li.lei", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    add(DocumentPlan(
        key="bid-retrospective", kind=K.OTHER, classification=CL.INTERNAL, owner="zhang.wei",
        title="投标复盘 天津滨海 TJBH-2026-ZB-017", tags=("投标复盘", binhai.zh),
        versions=(VersionPlan("投标复盘_TJBH-2026-ZB-017.txt", as_text(bid_retrospective(
            author="zhang.wei", marking=MARKINGS[CL.INTERNAL], customer=binhai, tender_no="TJBH-2026-ZB-017"))),),
    ))
    add(DocumentPlan(
        key="minutes-w15", kind=K.OTHER, classification=CL.INTERNAL, owner="zhang.wei",
        title="销售周例会纪要 2026-W15（华北销售部）", tags=("周例会",),
        versions=(VersionPlan("周例会纪要_2026-W15.txt", as_text(meeting_minutes(
            week="2026-W15", held_on=dt.date(2026, 4, 6),
            attendees=(person_name("zhang.wei"), person_name("li.lei"), person_name("liu.yang")),
            items=(("天津滨海 数控机床采购项目", "投标文件第二版定稿，4 月中旬开标", person_name("li.lei")),
                   ("北京京北重工 龙门加工中心", "合同已签，预验收排期中", person_name("zhang.wei")),
                   ("大连远洋 液压阀体加工", "已报价，客户比价中", person_name("li.lei")),
                   ("青岛海岸 卧加项目", "招标文件已购买，技术交流安排在下周", person_name("li.lei"))),
            author="zhang.wei", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    return plans
