"""Compliance and management: reviews and screenings, the key accounts, the margin analysis, the guide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from backend.access.policy import Action
from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.reports import compliance_review, demo_guide, export_screening, margin_analysis_workbook
from demo.files.body import MARKINGS
from demo.people import demo_logins, person_name
from demo.plan.documents import (
    CONFIDENTIAL,
    FINAL_KEY,
    DocumentPlan,
    Draw,
    GrantPlan,
    VersionPlan,
    as_csv,
    as_docx,
    as_pdf,
    as_text,
)
from demo.world import CUSTOMERS


def compliance_documents(*, binhai_submitted: dt.date, rhein_day: dt.date) -> list[DocumentPlan]:
    """The compliance review of the 天津滨海 bid and the export screening of the Rhein order."""
    plans: list[DocumentPlan] = []
    add = plans.append
    binhai, rhein = CUSTOMERS["binhai"], CUSTOMERS["rhein"]
    add(DocumentPlan(
        key="compliance-review-binhai", kind=K.OTHER, classification=CL.SECRET, owner="compliance",
        title="合规审查意见 CR-2026-011 天津滨海投标", tags=("合规", binhai.zh, "TJBH-2026-ZB-017"),
        description="Conditional approval: no intermediary before due diligence; entertainment overspend recorded.",
        versions=(VersionPlan("合规审查意见_CR-2026-011.docx", as_docx(compliance_review(
            number="CR-2026-011", subject="天津滨海汽车零部件数控机床采购项目投标", customer=binhai,
            author="compliance", marking=MARKINGS[CL.SECRET], reviewed_on=binhai_submitted - dt.timedelta(days=3)))),),
        grants=(GrantPlan(Action.READ, department="management"), GrantPlan(Action.VIEW, user="li.lei")),
    ))
    add(DocumentPlan(
        key="export-screening-rhein", kind=K.OTHER, classification=CL.CONFIDENTIAL, owner="emma.wright",
        title=f"Export control screening ECS-2026-027 {rhein.en}", tags=("export control", rhein.en, "QH-5AX400"),
        versions=(VersionPlan("Export_screening_ECS-2026-027.pdf", as_pdf(export_screening(
            number="ECS-2026-027", customer=rhein, machine="QH-5AX400", author="emma.wright", marking=CONFIDENTIAL,
            screened_on=rhein_day + dt.timedelta(days=3)))),),
        grants=(GrantPlan(Action.READ, user="sarah.chen"),),
    ))
    return plans


def management_figures(draw: Draw) -> list[DocumentPlan]:
    """The key account list and the secret margin analysis."""
    plans: list[DocumentPlan] = []
    add = plans.append
    huadong, hengtai, bright = CUSTOMERS["huadong"], CUSTOMERS["hengtai"], CUSTOMERS["bright_optics"]
    orient, jingbei, binhai = CUSTOMERS["orient_mould"], CUSTOMERS["jingbei"], CUSTOMERS["binhai"]
    yuanyang, rhein = CUSTOMERS["yuanyang"], CUSTOMERS["rhein"]
    owners = {"huadong": "wang.fang", "bright_optics": "sarah.chen", "zhongjie": "chen.jing", "hengtai": "chen.jing",
              "orient_mould": "wang.fang", "jingbei": "zhang.wei", "binhai": "li.lei", "coastline": "li.lei",
              "yuanyang": "li.lei", "rhein": "sarah.chen"}
    accounts = [("客户 Customer", "Customer (EN)", "城市 City", "负责人 Owner", "2025 销售额 Revenue 2025 (CNY)",
                 "2026 商机 Pipeline 2026 (CNY)", "等级 Tier", "信用额度 Credit limit (CNY)")]
    for code, cust in CUSTOMERS.items():
        revenue = draw.quantity(0, 60) * 100000
        accounts.append((cust.zh, cust.en, cust.city_zh, person_name(owners[code]), str(revenue),
                         str(draw.quantity(10, 90) * 100000), "A" if revenue > 3000000 else draw.choice("BC"),
                         str(draw.quantity(5, 30) * 100000)))
    add(DocumentPlan(
        key="key-accounts-2026", kind=K.OTHER, classification=CL.CONFIDENTIAL, owner="sun.hao",
        title="重点客户名单 Key account list 2026", tags=("客户名单", "key accounts"),
        versions=(VersionPlan("key_accounts_2026.csv", as_csv(accounts)),),
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
    return plans


def demo_guide_document() -> DocumentPlan:
    """The demo guide. Written last: its existence marks a seed that ran to the end."""
    return DocumentPlan(
        key=FINAL_KEY, kind=K.OTHER, classification=CL.PUBLIC, owner="admin",
        title="Dossier 演示说明 Demo guide", tags=("demo", "演示"),
        versions=(VersionPlan("Dossier_demo_guide.txt", as_text(demo_guide(
            logins=demo_logins(), author="admin"))),),
    )
