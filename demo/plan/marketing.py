"""Product material (marketing): brochures in two languages, the specification sheet, price lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.products import brochure, model_comparison_workbook, spec_sheet_rows
from demo.compose.quotes import price_list_workbook
from demo.plan.documents import Approval, DocumentPlan, VersionPlan, as_csv, as_docx, as_pdf
from demo.world import PRODUCTS


def brochures() -> list[DocumentPlan]:
    """Brochures (one superseded by a new edition), the specification sheet and a model comparison."""
    plans: list[DocumentPlan] = []
    add = plans.append
    vmc850 = PRODUCTS["VMC850"]
    add(DocumentPlan(
        key="brochure-vmc850-zh", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="产品手册 QH-VMC850 立式加工中心", tags=("产品手册", "QH-VMC850"),
        description="2026 版已取代 2025 版。",
        versions=(
            VersionPlan("产品手册_QH-VMC850_2025.pdf",
                        as_pdf(brochure(vmc850, lang="zh", edition="2025 版", author="zhou.ting")),
                        comment="2025 版", approve=Approval("admin")),
            VersionPlan("产品手册_QH-VMC850_2026.pdf",
                        as_pdf(brochure(vmc850, lang="zh", edition="2026 版", author="zhou.ting")),
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
                VersionPlan(filename, as_pdf(brochure(product, lang=lang, edition=edition, author="zhou.ting"))),
            ),
        ))
    gantry = PRODUCTS["GMC2016"]
    add(DocumentPlan(
        key="brochure-gmc2016-zh", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="产品手册 QH-GMC2016 龙门加工中心（可编辑版）", tags=("产品手册", gantry.code),
        versions=(VersionPlan("产品手册_QH-GMC2016.docx",
                              as_docx(brochure(gantry, lang="zh", edition="2026 版", author="zhou.ting"))),),
    ))
    add(DocumentPlan(
        key="spec-sheet", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="产品参数表 Product specifications (CSV)", tags=("参数表", "specifications"),
        versions=(VersionPlan("产品参数表_specifications.csv", as_csv(spec_sheet_rows())),),
    ))
    add(DocumentPlan(
        key="model-comparison", kind=K.PRODUCT_MATERIAL, classification=CL.PUBLIC, owner="zhou.ting",
        title="机型对比 QH-VMC850 vs QH-VMC1160", tags=("选型", "QH-VMC850", "QH-VMC1160"),
        versions=(VersionPlan("机型对比_VMC850_VMC1160.xlsx",
                              partial(model_comparison_workbook, ("VMC850", "VMC1160"), author="zhou.ting")),),
    ))
    return plans


def price_lists() -> list[DocumentPlan]:
    """The 2025 price list (approved, now expired) and the 2026 one (approved, with a draft increase)."""
    plans: list[DocumentPlan] = []
    add = plans.append
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
    return plans
