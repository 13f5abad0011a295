"""Sales East's documents: 上海华东精密, Shenzhen Bright Optics (in English), 恒泰电子, 杭州中捷, 宁波东方模具."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from backend.access.policy import Action
from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.contracts import ContractTerms, framework_agreement, mutual_nda, sales_contract
from demo.compose.quotes import QuoteTerms, quote_body, quote_workbook
from demo.compose.reports import visit_report
from demo.compose.tenders import TenderTerms, tender_response
from demo.files.body import MARKINGS
from demo.people import person_name
from demo.plan.documents import (
    CONFIDENTIAL, ZERO, Approval, DocumentPlan, Draw, GrantPlan, VersionPlan, as_docx, as_pdf, as_text, quote_lines,
    with_discount, workbook_quote,
)
from demo.world import CUSTOMERS


def huadong_documents(draw: Draw) -> list[DocumentPlan]:
    """上海华东精密: the contract (two versions, approved, checked out by a colleague) and its quote."""
    plans: list[DocumentPlan] = []
    add = plans.append
    huadong = CUSTOMERS["huadong"]
    huadong_lines = quote_lines(("VMC850", 4, draw.discount(4, 7)), ("TSC", 4, ZERO), ("INSTALL", 4, ZERO))
    signed = draw.day(3, 4)
    contract_v1 = ContractTerms(
        "HD-2026-031", huadong, huadong_lines, signed, "30-60-10", 90, seller_rep=person_name("wang.fang")
    )
    contract_v2 = ContractTerms(
        "HD-2026-031", huadong, huadong_lines, signed + dt.timedelta(days=6), "net60", 75,
        seller_rep=person_name("wang.fang"),
        revision_note="根据买方意见，付款方式由 30/60/10 调整为 net 60，交货期由 90 天缩短为 75 天。",
    )
    add(DocumentPlan(
        key="contract-huadong", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="wang.fang",
        title=f"销售合同 HD-2026-031 {huadong.zh}（QH-VMC850 × 4）",
        description="四台立式加工中心及安装调试。第 2 版按客户意见改为 net 60 付款，已审批。",
        tags=("销售合同", huadong.zh, "QH-VMC850", "net 60"),
        versions=(
            VersionPlan("销售合同_HD-2026-031_上海华东精密.pdf",
                        as_pdf(sales_contract(contract_v1, lang="zh", marking=CONFIDENTIAL, author="wang.fang")),
                        comment="初稿，发客户法务审阅"),
            VersionPlan("销售合同_HD-2026-031_上海华东精密_v2.pdf",
                        as_pdf(sales_contract(contract_v2, lang="zh", marking=CONFIDENTIAL, author="wang.fang")),
                        comment="付款方式改为 net 60，交货期 75 天（客户意见）",
                        approve=Approval("sarah.chen", valid_days=365)),  # four eyes: not the uploader
        ),
        grants=(GrantPlan(Action.CHANGE, user="sarah.chen"), GrantPlan(Action.READ, department="management")),
        checked_out_by="sarah.chen",
    ))

    huadong_quote = QuoteTerms(
        "QT-2026-0112", huadong,
        quote_lines(("VMC850", 4, draw.discount(3, 5)), ("TSC", 4, ZERO), ("PROBE", 2, ZERO), ("INSTALL", 4, ZERO),
                    ("TRAINING", 1, ZERO)),
        draw.day(2, 2), person_name("wang.fang"), delivery_days=90,
    )
    huadong_quote_v2 = QuoteTerms(
        huadong_quote.number, huadong,
        with_discount(huadong_quote.lines, huadong_quote.lines[0].discount + Decimal("0.02")),
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
    return plans


def bright_optics_documents(draw: Draw) -> list[DocumentPlan]:
    """Shenzhen Bright Optics, in English: a quotation in three revisions, the NDA, the contract."""
    plans: list[DocumentPlan] = []
    add = plans.append
    bright = CUSTOMERS["bright_optics"]
    first_discount = draw.discount(2, 4)
    bright_lines = quote_lines(
        ("5AX400", 2, first_discount), ("PROBE", 2, ZERO), ("INSTALL", 2, ZERO), ("TRAINING", 2, ZERO)
    )
    bright_day = draw.day(4, 5)
    revisions = (
        (bright_lines, "30-60-10", 120, "First offer."),
        (with_discount(bright_lines, first_discount + Decimal("0.02")), "30-60-10", 90,
         "Delivery shortened to 90 days; additional 2% discount."),
        (with_discount(bright_lines, first_discount + Decimal("0.03")), "20-net60", 90,
         "Final offer: 20% down payment, balance net 60."),
    )
    bright_quotes = [
        QuoteTerms("QT-2026-0147", bright, lines, bright_day + dt.timedelta(days=7 * n), person_name("sarah.chen"),
                   lang="en", payment=payment, delivery_days=days, revision=n + 1, note=note)
        for n, (lines, payment, days, note) in enumerate(revisions)
    ]
    add(DocumentPlan(
        key="quote-bright-optics", kind=K.QUOTE, classification=CL.INTERNAL, owner="sarah.chen",
        title=f"Quotation QT-2026-0147 {bright.en}", tags=("quotation", bright.en, "QH-5AX400"),
        description="Two 5-axis machining centers for optical moulds. Three revisions; Rev.3 approved.",
        versions=tuple(
            VersionPlan(f"Quotation_QT-2026-0147_Rev{n + 1}.pdf",
                        as_pdf(quote_body(terms, author="sarah.chen", marking=MARKINGS[CL.INTERNAL])),
                        comment=revisions[n][3],
                        approve=Approval("sarah.chen", valid_days=30) if n == 2 else None)
            for n, terms in enumerate(bright_quotes)
        ),
    ))
    add(DocumentPlan(
        key="nda-bright-optics", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="sarah.chen",
        title=f"Mutual NDA — {bright.en}", tags=("NDA", bright.en),
        description="Mutual non-disclosure agreement before sharing mould drawings.",
        versions=(VersionPlan("NDA_Shenzhen_Bright_Optics.docx", as_docx(mutual_nda(
            number="NDA-2026-014", customer=bright, signed_on=bright_day - dt.timedelta(days=20), author="sarah.chen",
            marking=CONFIDENTIAL))),),
        grants=(GrantPlan(Action.READ, user="compliance"),),
    ))
    bright_contract = ContractTerms(
        "SC-2026-058", bright, bright_quotes[-1].lines, bright_day + dt.timedelta(days=24), "20-net60", 90,
        warranty_months=18, seller_rep=person_name("sarah.chen"),
    )
    add(DocumentPlan(
        key="contract-bright-optics", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="sarah.chen",
        title=f"Sales Contract SC-2026-058 {bright.en} (QH-5AX400 × 2)",
        tags=("sales contract", bright.en, "QH-5AX400"),
        description="Signed contract from quotation QT-2026-0147 Rev.3; 18 months warranty.",
        versions=(VersionPlan("Sales_Contract_SC-2026-058.docx", as_docx(sales_contract(
            bright_contract, lang="en", marking=CONFIDENTIAL, author="sarah.chen")),
            approve=Approval("wang.fang", valid_days=730)),),  # four eyes: not the uploader
        grants=(GrantPlan(Action.CHANGE, user="wang.fang"), GrantPlan(Action.READ, department="management")),
    ))
    return plans


def other_accounts(draw: Draw) -> list[DocumentPlan]:
    """恒泰电子's quote and contract, 杭州中捷's bid and framework agreement, 宁波东方模具's quote, a visit report."""
    plans: list[DocumentPlan] = []
    add = plans.append
    huadong = CUSTOMERS["huadong"]
    hengtai = CUSTOMERS["hengtai"]
    hengtai_lines = quote_lines(("CK6150", 6, draw.discount(5, 8)), ("VMC850", 2, draw.discount(3, 6)),
                                ("INSTALL", 8, ZERO))
    hengtai_quote = QuoteTerms("QT-2026-0098", hengtai, hengtai_lines, draw.day(1, 2), person_name("chen.jing"),
                               payment="30-60-10", delivery_days=60)
    add(DocumentPlan(
        key="quote-hengtai", kind=K.QUOTE, classification=CL.INTERNAL, owner="chen.jing",
        title=f"报价单 QT-2026-0098 {hengtai.zh}", tags=("报价单", hengtai.zh, "QH-CK6150"),
        versions=(VersionPlan("报价单_QT-2026-0098_恒泰电子.pdf",
                              as_pdf(quote_body(hengtai_quote, author="chen.jing", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    hengtai_contract = ContractTerms("SZ-2026-044", hengtai, hengtai_lines,
                                     hengtai_quote.issued_on + dt.timedelta(days=30), "30-60-10", 60,
                                     seller_rep=person_name("chen.jing"))
    add(DocumentPlan(
        key="contract-hengtai", kind=K.CONTRACT, classification=CL.INTERNAL, owner="chen.jing",
        title=f"销售合同 SZ-2026-044 {hengtai.zh}", tags=("销售合同", hengtai.zh),
        versions=(VersionPlan("销售合同_SZ-2026-044.docx", as_docx(sales_contract(
            hengtai_contract, lang="zh", marking=MARKINGS[CL.INTERNAL], author="chen.jing"))),),
    ))
    zhongjie = CUSTOMERS["zhongjie"]
    zhongjie_tender = TenderTerms(
        "数控车床及加工中心采购项目", "HZZJ-2026-ZB-009", zhongjie,
        quote_lines(("CK6150", 8, draw.discount(6, 9)), ("VMC1160", 2, draw.discount(4, 7)), ("INSTALL", 10, ZERO)),
        draw.day(5, 6), delivery_days=80,
    )
    add(DocumentPlan(
        key="bid-zhongjie", kind=K.BID, classification=CL.CONFIDENTIAL, owner="chen.jing",
        title=f"投标书 {zhongjie.zh} 数控车床及加工中心采购项目", tags=("投标书", zhongjie.zh, "数控机床"),
        versions=(VersionPlan("投标书_HZZJ-2026-ZB-009.pdf", as_pdf(tender_response(
            zhongjie_tender, author="chen.jing", marking=CONFIDENTIAL, bidder_rep=person_name("chen.jing")))),),
        grants=(GrantPlan(Action.DOWNLOAD, department="sales-east"),),
    ))
    add(DocumentPlan(
        key="framework-zhongjie", kind=K.CONTRACT, classification=CL.CONFIDENTIAL, owner="chen.jing",
        title=f"2026 年度采购框架协议 {zhongjie.zh}", tags=("框架协议", zhongjie.zh),
        versions=(VersionPlan("框架协议_2026_杭州中捷.docx", as_docx(framework_agreement(
            number="FA-2026-003", customer=zhongjie, year=2026, volume=Decimal(draw.quantity(30, 45) * 100000),
            rebate=Decimal(draw.quantity(15, 30)) / 1000, author="chen.jing", marking=CONFIDENTIAL))),),
    ))
    orient = CUSTOMERS["orient_mould"]
    orient_quote = QuoteTerms(
        "QT-2026-0163", orient,
        quote_lines(("VMC1160", 3, draw.discount(4, 7)), ("GMC2016", 1, draw.discount(3, 5)), ("ROTARY", 1, ZERO),
                    ("CHIP", 1, ZERO), ("INSTALL", 4, ZERO)),
        draw.day(6, 7), person_name("wang.fang"), payment="20-net60", delivery_days=100,
    )
    add(workbook_quote("quote-orient-mould", orient_quote, owner="wang.fang",
                       filename="报价单_QT-2026-0163_宁波东方模具.xlsx", model="QH-GMC2016"))
    add(DocumentPlan(
        key="visit-huadong", kind=K.OTHER, classification=CL.INTERNAL, owner="wang.fang",
        title=f"客户拜访纪要 {huadong.zh} 2026-02", tags=("拜访纪要", huadong.zh),
        versions=(VersionPlan("拜访纪要_上海华东精密_2026-02.txt", as_text(visit_report(
            customer=huadong, visited_on=draw.day(2, 2), author_name=person_name("wang.fang"),
            attendees=(person_name("wang.fang"), person_name("chen.jing"), f"{huadong.contact_zh}（采购经理）", "顾工（设备科）"),
            next_steps=("3 月 10 日前提交正式报价（含中心出水和测头）", "安排客户到常州工厂看 VMC850 试切",
                        "与财务确认 net 60 付款条件的审批流程"),
            author="wang.fang", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    return plans
