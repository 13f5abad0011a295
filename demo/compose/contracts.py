"""Sales contracts, framework and service agreements, NDAs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from demo.compose.formats import en_date, money, rmb_in_words, zh_date
from demo.compose.lines import PricedTerms, line_table, lines_total
from demo.files.body import Block, Body, Bullets, Fields, Heading, Para, Signatures, Table
from demo.world import PAYMENT_TERMS, SELLER, Company


@dataclass(frozen=True)
class ContractTerms(PricedTerms):
    signed_on: dt.date
    payment: str  # a key of PAYMENT_TERMS
    delivery_days: int
    warranty_months: int = 12
    currency: str = "CNY"
    incoterm: str = ""  # export contracts, e.g. "CIF Hamburg"
    seller_rep: str = "王芳"
    revision_note: str = ""


# Around the clauses, by language: the title, the revision note's label, the parties, how the subtitle
# joins the models, the keyword.
_CONTRACT_WORDS = {
    "zh": ("销售合同 Sales Contract", "修订说明：", ("买方", "卖方"), "、", "销售合同"),
    "en": ("Sales Contract", "Revision note: ", ("Buyer", "Seller"), ", ", "sales contract"),
}


def sales_contract(terms: ContractTerms, *, lang: str, marking: str, author: str) -> Body:
    """A sales contract in Chinese (clause titles in both languages) or in English."""
    lang = "zh" if lang == "zh" else "en"
    blocks = _clauses_zh(terms) if lang == "zh" else _clauses_en(terms)
    title, revision, (buyer, seller), joiner, keyword = _CONTRACT_WORDS[lang]
    customer = terms.customer.name(lang)
    if terms.revision_note:
        blocks.append(Para(f"{revision}{terms.revision_note}"))
    blocks.append(Signatures(((buyer, customer), (seller, SELLER.name(lang)))))
    return Body(
        title=f"{title} {terms.number}",
        subtitle=f"{customer} · {joiner.join(line.item.code for line in terms.lines)}",
        blocks=tuple(blocks), lang=lang, author=author, reference=terms.number, marking=marking,
        keywords=(keyword, customer, terms.number),
    )


def _clauses_zh(terms: ContractTerms) -> list[Block]:
    total = lines_total(terms.lines)
    customer = terms.customer
    pay_zh = PAYMENT_TERMS[terms.payment][0]
    return [
        Fields((
            ("合同编号 Contract No.", terms.number),
            ("签订日期 Date", zh_date(terms.signed_on)),
            ("签订地点 Place", SELLER.city_zh),
            ("买方 Buyer", f"{customer.zh}（{customer.en}）"),
            ("买方地址", customer.address_zh),
            ("卖方 Seller", f"{SELLER.zh}（{SELLER.en}）"),
            ("卖方地址", SELLER.address_zh),
        )),
        Para("根据《中华人民共和国民法典》及有关法律法规，买卖双方经友好协商，就买方向卖方购买数控机床及相关服务事宜，"
             "达成如下条款，以资共同遵守。"),
        Heading("第一条 合同标的 Subject matter"),
        line_table(terms.lines, "zh", terms.currency),
        Heading("第二条 合同金额 Contract price"),
        Para(f"合同总价为人民币 {money(total)}（大写：{rmb_in_words(total)}），含 13% 增值税、包装费及运至买方工厂的运输费。"
             "卖方在每期付款前向买方开具相应金额的增值税专用发票。"),
        Heading("第三条 付款方式 Payment terms"),
        Para(pay_zh),
        Para("买方逾期付款的，每逾期一日按逾期金额的万分之五向卖方支付违约金。"),
        Heading("第四条 交货 Delivery"),
        Para(f"交货期：合同生效且卖方收到预付款后 {terms.delivery_days} 天内交货。交货地点：{customer.address_zh}（买方工厂）。"
             "卖方负责运输和运输保险，货物风险自买方签收之日起转移至买方。"),
        Para("卖方应在发货前 5 个工作日书面通知买方，买方负责提供卸货设备及符合要求的安装地基。"),
        Heading("第五条 验收 Acceptance"),
        Bullets((
            "预验收：在卖方工厂按双方签订的技术协议进行几何精度检验和试切，买方派员参加。",
            "终验收：设备安装调试完成后 15 天内，在买方现场按技术协议进行终验收，双方签署验收报告。",
            "买方无正当理由在规定期限内不组织终验收的，视为验收合格。",
        )),
        Heading("第六条 质量保证 Warranty"),
        Para(f"质保期为终验收合格之日起 {terms.warranty_months} 个月。质保期内因设备本身质量问题造成的故障，卖方免费维修或更换零部件；"
             "卖方接到报修后 4 小时内响应，48 小时内到达现场（华东、华北地区 24 小时内）。易损件及人为损坏不在免费保修范围内。"),
        Heading("第七条 违约责任 Liability"),
        Para("卖方逾期交货的，每逾期一周按逾期交货部分货款的 0.5% 支付违约金，累计不超过该部分货款的 5%。"
             "逾期超过 60 天的，买方有权解除合同并要求卖方退还已付款项。"),
        Heading("第八条 保密 Confidentiality"),
        Para("双方对在履行本合同过程中知悉的对方技术资料和商业信息负有保密义务，保密期限为合同终止后三年。"),
        Heading("第九条 争议解决 Disputes"),
        Para("因本合同引起的或与本合同有关的任何争议，双方应友好协商解决；协商不成的，提交上海国际仲裁中心按其仲裁规则仲裁，仲裁裁决是终局的。"),
        Heading("第十条 其他 Miscellaneous"),
        Para("本合同一式四份，双方各执两份，自双方签字盖章且卖方收到预付款之日起生效。技术协议为本合同附件，与本合同具有同等法律效力。"),
    ]


def _clauses_en(terms: ContractTerms) -> list[Block]:
    total = lines_total(terms.lines)
    customer = terms.customer
    pay_en = PAYMENT_TERMS[terms.payment][1]
    delivery = (
        f"Delivery within {terms.delivery_days} days of the advance payment, {terms.incoterm} (Incoterms 2020)."
        if terms.incoterm else
        f"Delivery within {terms.delivery_days} days of the advance payment, to the buyer's plant at "
        f"{customer.address_en}."
    )
    return [
        Fields((
            ("Contract No.", terms.number),
            ("Date", en_date(terms.signed_on)),
            ("Buyer", f"{customer.en}, {customer.address_en}"),
            ("Seller", f"{SELLER.en} ({SELLER.zh}), {SELLER.address_en}"),
        )),
        Para("The Buyer agrees to buy and the Seller agrees to sell the goods and services below "
             "on the following terms."),
        Heading("1. Goods and price"),
        line_table(terms.lines, "en", terms.currency),
        Para(f"Total contract value: {money(total, terms.currency)}. "
             + ("Prices include 13% VAT, packing and transport to the buyer's plant." if terms.currency == "CNY"
                else "Prices are net, excluding import duties and taxes in the buyer's country.")),
        Heading("2. Payment terms"),
        Para(pay_en),
        Heading("3. Delivery"),
        Para(delivery + " Title and risk pass according to the Incoterm; partial shipments are not allowed."),
        Heading("4. Inspection and acceptance"),
        Bullets((
            "Pre-acceptance at the Seller's works: geometric accuracy and test cuts per the technical agreement.",
            "Final acceptance at the Buyer's site within 15 days of commissioning; "
            "both parties sign the acceptance report.",
        )),
        Heading("5. Warranty"),
        Para(f"{terms.warranty_months} months from final acceptance. Response within 4 hours; "
             "remote diagnosis first, engineer on site within 72 hours where required. Wear parts are excluded."),
        Heading("6. Late delivery"),
        Para("0.5% of the value of the late goods per full week of delay, capped at 5%."),
        Heading("7. Governing law and disputes"),
        Para("This contract is governed by the laws of the People's Republic of China. Disputes are settled by "
             "arbitration at the Shanghai International Arbitration Center; the award is final and binding."),
        Heading("8. Export control"),
        Para("The Buyer confirms that the goods will not be re-exported or used for any end use prohibited by "
             "applicable export control laws, and will provide an end-user statement on request."),
    ]


def framework_agreement(*, number: str, customer: Company, year: int, volume: Decimal, rebate: Decimal,
                        author: str, marking: str) -> Body:
    return Body(
        title=f"{year} 年度采购框架协议",
        subtitle=f"{customer.zh} · {number}",
        lang="zh", author=author, reference=number, marking=marking, keywords=("框架协议", customer.zh),
        blocks=(
            Fields((("协议编号", number), ("采购方", customer.zh), ("供应方", SELLER.zh),
                    ("有效期", f"{year}年1月1日至{year}年12月31日"))),
            Heading("一、合作范围"),
            Para("采购方在协议有效期内向供应方采购立式加工中心、数控车床及相关附件和服务，具体型号、数量以每次签订的订单为准。"),
            Heading("二、预计采购量与返利"),
            Para(f"预计年度采购金额不低于人民币 {money(volume)}（{rmb_in_words(volume)}）。"
                 f"实际采购金额达到预计金额的，供应方按实际采购金额的 {rebate * 100:.1f}% 给予年度返利，于次年一季度以货款抵扣方式兑现。"),
            Heading("三、价格与付款"),
            Para("订单价格以供应方当期价格表为基础，享受框架折扣。付款方式：每笔订单货到验收合格后 60 天内付清（net 60）。"),
            Heading("四、交付与服务"),
            Bullets(("标准机型交货期不超过 60 天；", "供应方在杭州设立备件库，常用备件 24 小时内送达；",
                     "每季度一次设备巡检，免费提供操作培训。")),
            Heading("五、其他"),
            Para("本协议为框架性约定，具体权利义务以各订单及销售合同为准。本协议一式两份，双方各执一份。"),
            Signatures((("采购方", customer.zh), ("供应方", SELLER.zh))),
        ),
    )


def service_agreement(*, number: str, customer: Company, machines: Sequence[tuple[str, int]], fee: Decimal,
                      start: dt.date, author: str, marking: str) -> Body:
    rows = [("设备型号", "数量", "服务内容")]
    rows += [(code, str(qty), "季度预防性维护、精度检测、优先维修") for code, qty in machines]
    return Body(
        title="年度维保服务合同",
        subtitle=f"{customer.zh} · {number}",
        lang="zh", author=author, reference=number, marking=marking, keywords=("维保", "售后服务", customer.zh),
        blocks=(
            Fields((("合同编号", number), ("甲方（客户）", customer.zh), ("乙方（服务方）", SELLER.zh),
                    ("服务期限", f"{zh_date(start)}起 12 个月"))),
            Heading("一、服务范围"),
            Table(tuple(rows), widths=(1.5, 0.6, 3)),
            Heading("二、服务标准"),
            Bullets(("每季度上门预防性维护一次，出具维护报告；", "故障报修 2 小时内响应，24 小时内到达现场；",
                     "每年一次激光干涉仪定位精度检测与补偿；", "维保期内人工费全免，备件按价格表八五折。")),
            Heading("三、服务费用及付款方式"),
            Para(f"年度服务费为人民币 {money(fee)}（{rmb_in_words(fee)}），含 6% 增值税。"
                 "付款方式：合同签订后 30 日内支付 50%，服务期满六个月后支付剩余 50%。"),
            Heading("四、双方责任"),
            Para("甲方应按操作规程使用设备并做好日常保养记录；乙方服务人员进入甲方现场须遵守甲方安全管理规定。"),
            Signatures((("甲方", customer.zh), ("乙方", SELLER.zh))),
        ),
    )


def mutual_nda(*, number: str, customer: Company, signed_on: dt.date, author: str, marking: str) -> Body:
    return Body(
        title="Mutual Non-Disclosure Agreement",
        subtitle=f"{SELLER.en} and {customer.en}",
        lang="en", author=author, reference=number, marking=marking, keywords=("NDA", customer.en),
        blocks=(
            Fields((("Agreement No.", number), ("Effective date", en_date(signed_on)),
                    ("Party A", f"{SELLER.en}, {SELLER.address_en}"),
                    ("Party B", f"{customer.en}, {customer.address_en}"))),
            Heading("1. Purpose"),
            Para("The parties wish to exchange drawings, process data and pricing in order to evaluate a 5-axis "
                 "machining solution for optical mould production (the Purpose)."),
            Heading("2. Confidential information"),
            Para("Any information disclosed by one party to the other in connection with the Purpose, in any form, "
                 "that is marked confidential or would reasonably be understood to be confidential."),
            Heading("3. Obligations"),
            Bullets(("Use confidential information only for the Purpose.",
                     "Disclose it only to employees and advisers who need to know and are bound by similar duties.",
                     "Protect it with at least the care used for one's own confidential information.")),
            Heading("4. Exceptions"),
            Para("Information that is public, already known, independently developed or lawfully received from a "
                 "third party."),
            Heading("5. Term"),
            Para("Three years from the effective date; obligations survive for three years after termination."),
            Heading("6. Law and venue"),
            Para("Laws of the People's Republic of China; disputes to the Shenzhen Court of International "
                 "Arbitration."),
            Signatures((("Party A", SELLER.en), ("Party B", customer.en))),
        ),
    )
