"""Quotations (as a document or a workbook) and the yearly price list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from demo.compose.formats import CENT, en_date, money, rmb_in_words, zh_date
from demo.compose.lines import PricedTerms, line_table, lines_total
from demo.files.body import Block, Body, Bullets, Fields, Heading, Para
from demo.files.office import Column, Sheet, render_xlsx
from demo.world import EXTRAS, PAYMENT_TERMS, PRODUCTS, SELLER


@dataclass(frozen=True)
class QuoteTerms(PricedTerms):
    issued_on: dt.date
    salesperson: str
    lang: str = "zh"
    currency: str = "CNY"
    validity_days: int = 30
    payment: str = "30-60-10"
    delivery_days: int = 60
    revision: int = 1
    note: str = ""


def quote_body(terms: QuoteTerms, *, author: str, marking: str) -> Body:
    pay_zh, pay_en = PAYMENT_TERMS[terms.payment]
    total = lines_total(terms.lines)
    revision = f"Rev.{terms.revision}"
    if terms.lang == "zh":
        blocks: list[Block] = [
            Fields((("报价单号", f"{terms.number} {revision}"), ("报价日期", zh_date(terms.issued_on)),
                    ("客户", terms.customer.zh), ("联系人", terms.customer.contact_zh), ("销售代表", terms.salesperson))),
            Para(f"感谢贵司对{SELLER.zh}产品的关注，现将有关设备报价如下："),
            line_table(terms.lines, "zh", terms.currency),
            Para(f"报价总额：{money(total)}（大写：{rmb_in_words(total)}），以上价格均含 13% 增值税及运费。"),
            Heading("商务条款"),
            Bullets((f"付款方式：{pay_zh}", f"交货期：收到预付款后 {terms.delivery_days} 天", f"报价有效期：{terms.validity_days} 天",
                     "质保：终验收后 12 个月；免费安装调试及操作培训")),
        ]
        if terms.note:
            blocks.append(Para(f"备注：{terms.note}"))
        title = f"报价单 Quotation {terms.number}"
        subtitle = terms.customer.zh
    else:
        blocks = [
            Fields((("Quotation", f"{terms.number} {revision}"), ("Date", en_date(terms.issued_on)),
                    ("Customer", terms.customer.en), ("Attention", terms.customer.contact_en),
                    ("Sales contact", terms.salesperson))),
            Para(f"Thank you for your interest in {SELLER.en}. We are pleased to quote as follows:"),
            line_table(terms.lines, "en", terms.currency),
            Para(f"Total: {money(total, terms.currency)}. "
                 + ("Prices include 13% VAT and freight." if terms.currency == "CNY"
                    else "Prices are EXW Changzhou, excluding VAT.")),
            Heading("Terms"),
            Bullets((f"Payment: {pay_en}", f"Delivery: {terms.delivery_days} days after the advance payment",
                     f"Validity: {terms.validity_days} days", "Warranty: 12 months from final acceptance")),
        ]
        if terms.note:
            blocks.append(Para(f"Note: {terms.note}"))
        title = f"Quotation {terms.number}"
        subtitle = terms.customer.en
    return Body(title=title, subtitle=subtitle, blocks=tuple(blocks), lang=terms.lang, author=author,
                reference=f"{terms.number} {revision}", marking=marking,
                keywords=("报价单" if terms.lang == "zh" else "quotation", terms.customer.name(terms.lang)))


def quote_workbook(terms: QuoteTerms, *, author: str) -> bytes:
    zh = terms.lang == "zh"
    pay_zh, pay_en = PAYMENT_TERMS[terms.payment]
    fmt = "#,##0.00"
    columns = (
        (Column("序号", 6), Column("型号", 14), Column("名称", 24), Column("数量", 8, "0"), Column("单价（含税）", 15, fmt),
         Column("折扣", 8, "0%"), Column("折后单价", 15, fmt), Column("金额", 16, fmt))
        if zh else
        (Column("No.", 6), Column("Model", 14), Column("Description", 28), Column("Qty", 8, "0"),
         Column(f"Unit price ({terms.currency})", 16, fmt), Column("Discount", 10, "0%"), Column("Net unit", 15, fmt),
         Column("Amount", 16, fmt))
    )
    rows = tuple(
        (n, line.item.code, line.item.name(terms.lang), line.quantity, float(line.unit_price), float(line.discount),
         float(line.net_unit), float(line.total))
        for n, line in enumerate(terms.lines, start=1)
    )
    total = lines_total(terms.lines)
    if zh:
        heading = (f"报价单 {terms.number} Rev.{terms.revision}", f"客户：{terms.customer.zh}",
                   f"日期：{zh_date(terms.issued_on)}    销售代表：{terms.salesperson}",
                   f"付款方式：{pay_zh}", f"交货期：{terms.delivery_days} 天    报价有效期：{terms.validity_days} 天")
        vat = (total / Decimal("1.13") * Decimal("0.13")).quantize(CENT)
        totals = (("合计（含税）", float(total)), ("其中增值税 13%", float(vat)))
        note = terms.note or f"大写：{rmb_in_words(total)}"
    else:
        heading = (f"Quotation {terms.number} Rev.{terms.revision}", f"Customer: {terms.customer.en}",
                   f"Date: {en_date(terms.issued_on)}    Sales contact: {terms.salesperson}",
                   f"Payment: {pay_en}",
                   f"Delivery: {terms.delivery_days} days    Validity: {terms.validity_days} days")
        totals = (("Total", float(total)),)
        note = terms.note or "Prices EXW Changzhou, excluding VAT and import duties."
    sheet = Sheet(name="报价" if zh else "Quotation", columns=columns, rows=rows, heading=heading, totals=totals,
                  note=note)
    return render_xlsx([sheet], title=f"{terms.number} {terms.customer.name(terms.lang)}", author=author)


def price_list_workbook(*, year: int, factor: Decimal, author: str, valid_from: dt.date, note: str = "") -> bytes:
    fmt = "#,##0"
    machines = [
        (p.code, p.name_zh, p.name_en, float((p.price * factor).quantize(Decimal(1))), "台 unit")
        for p in PRODUCTS.values()
    ]
    extras = [
        (p.code, p.name_zh, p.name_en, float((p.price * factor).quantize(Decimal(1))), "套 set")
        for p in EXTRAS.values()
    ]
    columns = (Column("型号 Model", 14), Column("名称", 22), Column("Description", 30),
               Column("目录价 List price (CNY)", 22, fmt), Column("单位 Unit", 10))
    sheets = [
        Sheet(name="整机 Machines", columns=columns, rows=tuple(machines),
              heading=(f"{SELLER.zh} 产品价格表 {year}", f"Price list {year} — valid from {valid_from.isoformat()}",
                       "价格含 13% 增值税；区域经理可在 8% 以内给予折扣，超出须总经理审批。")),
        Sheet(name="选配及服务 Options", columns=columns, rows=tuple(extras),
              note=note or "Options and services are quoted together with a machine only."),
    ]
    return render_xlsx(sheets, title=f"产品价格表 {year} Price list", author=author, subject="price list")
