"""A tender: the bid itself, its secret price workbook and the technical proposal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from demo.compose.formats import CENT, money, rmb_in_words, zh_date
from demo.compose.lines import Line, line_table, lines_total
from demo.files.body import Body, Bullets, Fields, Heading, Para, Signatures, Table
from demo.files.office import Column, Sheet, render_xlsx
from demo.world import SELLER, Company


@dataclass(frozen=True)
class TenderTerms:
    project: str  # e.g. "数控机床采购项目"
    tender_no: str
    customer: Company
    lines: tuple[Line, ...]
    submitted_on: dt.date
    delivery_days: int
    validity_days: int = 90
    revision: int = 1
    deviations: tuple[tuple[str, str, str], ...] = ()  # (requirement, our offer, deviation)


def tender_response(terms: TenderTerms, *, author: str, marking: str, bidder_rep: str) -> Body:
    total = lines_total(terms.lines)
    deviations = terms.deviations or (
        ("定位精度 ≤ 0.008 mm", "±0.005 mm（GB/T 18400.4 检验）", "正偏离"),
        ("主轴转速 ≥ 8000 rpm", "10000 rpm", "正偏离"),
        ("刀库容量 ≥ 20 把", "24 把", "正偏离"),
        ("数控系统：FANUC 或同等档次", "FANUC 0i-MF Plus", "无偏离"),
        ("交货期 ≤ 90 天", f"{terms.delivery_days} 天", "无偏离" if terms.delivery_days >= 90 else "正偏离"),
    )
    return Body(
        title=f"投标书 {terms.customer.zh}{terms.project}",
        subtitle=f"招标编号 Tender No. {terms.tender_no} · 第 {terms.revision} 版",
        lang="zh", author=author, reference=terms.tender_no, marking=marking,
        keywords=("投标书", "数控机床", terms.customer.zh, terms.tender_no),
        blocks=(
            Fields((("项目名称", f"{terms.customer.zh}{terms.project}"), ("招标编号", terms.tender_no),
                    ("招标人", terms.customer.zh), ("投标人", f"{SELLER.zh}（{SELLER.en}）"),
                    ("投标日期", zh_date(terms.submitted_on)))),
            Heading("一、投标函"),
            Para(f"致：{terms.customer.zh}"),
            Para(f"我方已仔细研究了{terms.project}（招标编号 {terms.tender_no}）招标文件的全部内容，愿意以人民币 {money(total)}"
                 f"（大写：{rmb_in_words(total)}）的投标总价，按招标文件的要求提供全部货物及服务，交货期为合同签订后 "
                 f"{terms.delivery_days} 天。本投标自开标之日起 {terms.validity_days} 天内有效。"),
            Para("我方承诺所提交的全部资料真实有效，并同意按招标文件规定提交投标保证金人民币 50,000.00 元。"),
            Heading("二、开标一览表"),
            line_table(terms.lines, "zh", "CNY", with_discount=False),
            Heading("三、技术偏离表"),
            Table((("招标要求", "投标响应", "偏离情况"), *deviations), widths=(2, 2, 1)),
            Heading("四、售后服务承诺"),
            Bullets((
                f"质保期：终验收合格后 12 个月，主轴、丝杠、导轨等关键部件质保 24 个月；",
                f"响应时间：2 小时内电话响应，{terms.customer.city_zh}地区 24 小时内到达现场；",
                "免费安装调试，并为招标人培训操作及维修人员各 3 名；",
                "质保期满后提供终身有偿技术服务，备件价格不高于当期价格表。",
            )),
            Heading("五、资格证明文件"),
            Bullets(("营业执照副本（复印件加盖公章）", "ISO 9001 质量管理体系认证证书", "近三年同类设备供货业绩一览表",
                     "法定代表人授权委托书", "近三年财务审计报告")),
            Signatures((("投标人", SELLER.zh), ("授权代表", bidder_rep))),
        ),
    )


def tender_price_workbook(terms: TenderTerms, *, author: str, cost_ratio: Decimal) -> bytes:
    rows = []
    for line in terms.lines:
        cost = (line.net_unit * cost_ratio).quantize(CENT, ROUND_HALF_UP)
        margin = (line.net_unit - cost) / line.net_unit if line.net_unit else Decimal(0)
        rows.append((line.item.code, line.item.name_zh, line.quantity, float(line.unit_price), float(line.net_unit),
                     float(cost), float(margin), float(line.total)))
    total = lines_total(terms.lines)
    sheets = [
        Sheet(
            name="商务报价",
            heading=(f"商务标价格明细 — {terms.customer.zh}", f"招标编号 {terms.tender_no}  ·  第 {terms.revision} 版  ·  "
                     f"{zh_date(terms.submitted_on)}", "绝密：仅限投标小组和管理层"),
            columns=(Column("型号", 14), Column("名称", 20), Column("数量", 8, "0"), Column("目录价", 14, "#,##0.00"),
                     Column("投标单价", 14, "#,##0.00"), Column("成本价", 14, "#,##0.00"), Column("毛利率", 10, "0.0%"),
                     Column("投标金额", 16, "#,##0.00")),
            rows=tuple(rows),
            totals=(("投标总价", float(total)),),
            note="投标价低于目录价 15% 以上须经区域销售经理和总经理审批。",
        ),
        Sheet(
            name="竞争对手",
            columns=(Column("竞争对手", 24), Column("预计报价", 16, "#,##0"), Column("优势", 36), Column("劣势", 36)),
            rows=(
                ("对手 A（国内龙头）", float(total * Decimal("1.06")), "品牌知名度高，华北服务网点多", "交货期长，约 120 天"),
                ("对手 B（台资）", float(total * Decimal("0.97")), "价格低", "精度保持性一般，备件周期长"),
                ("对手 C（日系）", float(total * Decimal("1.35")), "精度和可靠性好", "价格高，超出招标预算"),
            ),
        ),
    ]
    return render_xlsx(sheets, title=f"商务标价格明细 {terms.tender_no}", author=author, subject=terms.customer.zh)


def technical_proposal(terms: TenderTerms, *, author: str, marking: str) -> Body:
    machine = terms.lines[0].item
    return Body(
        title=f"技术标 {terms.customer.zh}{terms.project}",
        subtitle=f"招标编号 {terms.tender_no} · 技术方案与偏离说明",
        lang="zh", author=author, reference=terms.tender_no, marking=marking,
        keywords=("技术标", machine.code, terms.customer.zh),
        blocks=(
            Heading("1 项目理解"),
            Para(f"招标人计划新增加工单元，用于转向节、制动钳支架等汽车零部件的批量加工。我方推荐 {machine.code} "
                 f"{machine.name_zh}，配合液压夹具和工件测头，实现一人多机操作。"),
            Heading("2 设备配置"),
            Table((("项目", "配置"), *((spec.zh, spec.value) for spec in machine.specs)), widths=(1, 2)),
            Heading("3 工艺方案"),
            Bullets(("工序一：粗铣基准面及钻攻孔，节拍 4.5 分钟；", "工序二：精铣及镗孔，节拍 3.8 分钟；",
                     "在线测头自动补偿，关键孔径 CPK ≥ 1.33。")),
            Heading("4 技术偏离说明"),
            Para("本方案对招标文件技术要求无负偏离。刀库容量、主轴转速和定位精度均优于招标要求。"),
            Heading("5 项目实施计划"),
            Table((("阶段", "周期", "交付物"), ("设计评审", "第 1–2 周", "技术协议、夹具方案"),
                   ("制造装配", "第 3–9 周", "出厂检验报告"), ("预验收", "第 10 周", "试切件、精度报告"),
                   ("安装调试与终验收", "第 11–13 周", "终验收报告、培训记录")), widths=(1.2, 1, 2)),
        ),
    )
