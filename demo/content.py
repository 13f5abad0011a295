"""Real files for the demo: PDF (reportlab), DOCX (python-docx), XLSX (openpyxl), CSV and text.

Three layers:

* the little world the documents talk about: our company, its machine tools,
  its customers (plain data; the CRM models come later);
* a neutral document body (headings, paragraphs, tables, lists) and one
  renderer per format, so a contract can be a PDF in one place and a DOCX in
  another;
* composers that write the business documents themselves (sales contracts,
  tenders, quotes, brochures, reports) from the data the seed plan chose.

Everything here is a pure function of its arguments: the same data gives the
same bytes (PDFs are rendered "invariant", Office zip members get a fixed
timestamp), so a re-seeded store deduplicates instead of growing.

Chinese text in PDFs is real text. A TrueType CJK font is embedded when one is
installed (Debian: fonts-wqy-zenhei); otherwise the PDF falls back to Adobe's
STSong-Light CID font, which is referenced rather than embedded. Either way
pypdf extracts the text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from xml.sax.saxutils import escape

logger = logging.getLogger(__name__)

# Office files carry this as their creation/modification time, and their zip members too.
FIXED_TIMESTAMP = dt.datetime(2026, 1, 5, 9, 0, 0)

# =============================================================================================
# The world the documents describe
# =============================================================================================


@dataclass(frozen=True)
class Company:
    zh: str
    en: str
    city_zh: str
    city_en: str
    address_zh: str
    address_en: str
    contact_zh: str
    contact_en: str
    phone: str

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def address(self, lang: str) -> str:
        return self.address_zh if lang == "zh" else self.address_en

    def contact(self, lang: str) -> str:
        return self.contact_zh if lang == "zh" else self.contact_en


@dataclass(frozen=True)
class Spec:
    zh: str
    en: str
    value: str


@dataclass(frozen=True)
class Product:
    code: str
    name_zh: str
    name_en: str
    price: Decimal  # list price in CNY, incl. 13% VAT
    summary_zh: str
    summary_en: str
    features_zh: tuple[str, ...] = ()
    features_en: tuple[str, ...] = ()
    specs: tuple[Spec, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


SELLER = Company(
    zh="江苏启衡数控科技有限公司",
    en="Jiangsu Qiheng CNC Technology Co., Ltd.",
    city_zh="常州",
    city_en="Changzhou",
    address_zh="江苏省常州市武进区高新技术产业开发区凤林南路 88 号",
    address_en="88 Fenglin South Road, Wujin Hi-Tech Zone, Changzhou, Jiangsu, China",
    contact_zh="王芳",
    contact_en="Wang Fang",
    phone="+86 519 8650 2288",
)

CUSTOMERS: dict[str, Company] = {
    "huadong": Company(
        "上海华东精密机械有限公司", "Shanghai Huadong Precision Machinery Co., Ltd.",
        "上海", "Shanghai", "上海市嘉定区安亭镇墨玉南路 1055 号", "1055 Moyu South Road, Anting, Jiading, Shanghai",
        "周建国", "Zhou Jianguo", "+86 21 6950 1234",
    ),
    "bright_optics": Company(
        "深圳明辉光学有限公司", "Shenzhen Bright Optics Co., Ltd.",
        "深圳", "Shenzhen", "深圳市宝安区福永街道凤凰第三工业区 12 栋", "Building 12, Fenghuang 3rd Industrial Zone, Bao'an, Shenzhen",
        "陈嘉欣", "Grace Chan", "+86 755 2736 8890",
    ),
    "zhongjie": Company(
        "杭州中捷自动化设备有限公司", "Hangzhou Zhongjie Automation Equipment Co., Ltd.",
        "杭州", "Hangzhou", "杭州市余杭区良渚街道运溪路 366 号", "366 Yunxi Road, Liangzhu, Yuhang, Hangzhou",
        "钱伟", "Qian Wei", "+86 571 8858 3321",
    ),
    "jingbei": Company(
        "北京京北重工机械有限公司", "Beijing Jingbei Heavy Machinery Co., Ltd.",
        "北京", "Beijing", "北京市顺义区林河工业开发区林河大街 21 号", "21 Linhe Street, Linhe Industrial Park, Shunyi, Beijing",
        "马振华", "Ma Zhenhua", "+86 10 6940 7788",
    ),
    "binhai": Company(
        "天津滨海汽车零部件有限公司", "Tianjin Binhai Auto Parts Co., Ltd.",
        "天津", "Tianjin", "天津经济技术开发区第九大街 58 号", "58 Ninth Avenue, TEDA, Tianjin",
        "刘志强", "Liu Zhiqiang", "+86 22 6620 1456",
    ),
    "hengtai": Company(
        "苏州工业园区恒泰电子有限公司", "Suzhou Hengtai Electronics Co., Ltd.",
        "苏州", "Suzhou", "苏州工业园区星龙街 428 号", "428 Xinglong Street, Suzhou Industrial Park",
        "沈丽", "Shen Li", "+86 512 6287 5501",
    ),
    "coastline": Company(
        "青岛海岸船舶配件有限公司", "Qingdao Coastline Marine Parts Co., Ltd.",
        "青岛", "Qingdao", "青岛市黄岛区前湾港路 699 号", "699 Qianwangang Road, Huangdao, Qingdao",
        "孙海涛", "Sun Haitao", "+86 532 8698 2210",
    ),
    "orient_mould": Company(
        "宁波东方模具有限公司", "Ningbo Orient Mould Co., Ltd.",
        "宁波", "Ningbo", "宁波市北仑区大港工业城黄山西路 77 号", "77 Huangshan West Road, Beilun, Ningbo",
        "应晓东", "Ying Xiaodong", "+86 574 8683 4407",
    ),
    "yuanyang": Company(
        "大连远洋液压件有限公司", "Dalian Yuanyang Hydraulics Co., Ltd.",
        "大连", "Dalian", "大连市金州区先进装备制造业园区 5 号", "5 Advanced Equipment Park, Jinzhou, Dalian",
        "于洪波", "Yu Hongbo", "+86 411 8761 9036",
    ),
    "rhein": Company(
        "莱茵精密技术有限公司（德国）", "Rhein Präzisionstechnik GmbH",
        "杜塞尔多夫", "Düsseldorf", "德国杜塞尔多夫 Erkrather Straße 230", "Erkrather Straße 230, 40233 Düsseldorf, Germany",
        "Jonas Weber", "Jonas Weber", "+49 211 7300 4410",
    ),
}

PRODUCTS: dict[str, Product] = {
    "VMC850": Product(
        "QH-VMC850", "立式加工中心", "Vertical Machining Center", Decimal("368000"),
        "QH-VMC850 是面向中小零件批量加工的高刚性立式加工中心，三轴采用滚柱直线导轨，"
        "适用于模具、汽车零部件和电子结构件的铣削、钻孔和攻丝。",
        "The QH-VMC850 is a rigid vertical machining center for batch production of small and "
        "medium parts: moulds, automotive components and electronic housings.",
        ("铸铁整体床身，树脂砂造型，二次时效处理", "BT40 主轴，最高转速 10000 rpm，直联驱动",
         "24 把臂式刀库，换刀时间 2.5 秒", "三轴滚柱直线导轨，快移速度 36 m/min", "标配 FANUC 0i-MF Plus 数控系统"),
        ("Cast-iron one-piece bed, stress-relieved twice", "BT40 direct-drive spindle, 10,000 rpm",
         "24-tool arm-type magazine, 2.5 s tool change", "Roller linear guides on all axes, 36 m/min rapids",
         "FANUC 0i-MF Plus control as standard"),
        (Spec("工作台尺寸", "Table size", "1000 × 500 mm"), Spec("X/Y/Z 行程", "X/Y/Z travel", "850 / 500 / 550 mm"),
         Spec("主轴转速", "Spindle speed", "10000 rpm"), Spec("主轴锥孔", "Spindle taper", "BT40"),
         Spec("刀库容量", "Tool magazine", "24"), Spec("定位精度", "Positioning accuracy", "±0.005 mm"),
         Spec("重复定位精度", "Repeatability", "±0.003 mm"), Spec("机床重量", "Machine weight", "5800 kg")),
    ),
    "VMC1160": Product(
        "QH-VMC1160", "立式加工中心", "Vertical Machining Center", Decimal("498000"),
        "QH-VMC1160 加大了工作台和 Y 轴行程，适合箱体类零件和多工位夹具加工。",
        "The QH-VMC1160 adds table area and Y travel for housings and multi-station fixtures.",
        ("加宽底座，Y 轴四导轨支撑", "BT40 主轴 12000 rpm，可选 BT50 齿轮主轴", "30 把刀库",
         "主轴中心出水（选配）", "FANUC / Siemens 828D 系统可选"),
        ("Widened base, Y axis on four guideways", "BT40 12,000 rpm spindle; BT50 geared spindle optional",
         "30-tool magazine", "Through-spindle coolant (option)", "FANUC or Siemens 828D control"),
        (Spec("工作台尺寸", "Table size", "1200 × 600 mm"), Spec("X/Y/Z 行程", "X/Y/Z travel", "1100 / 600 / 600 mm"),
         Spec("主轴转速", "Spindle speed", "12000 rpm"), Spec("主轴锥孔", "Spindle taper", "BT40"),
         Spec("刀库容量", "Tool magazine", "30"), Spec("定位精度", "Positioning accuracy", "±0.006 mm"),
         Spec("重复定位精度", "Repeatability", "±0.003 mm"), Spec("机床重量", "Machine weight", "7600 kg")),
    ),
    "CK6150": Product(
        "QH-CK6150", "数控车床", "CNC Lathe", Decimal("186000"),
        "QH-CK6150 平床身数控车床，适用于轴类、盘类零件的粗精车削，操作简单，维护方便。",
        "The QH-CK6150 flat-bed CNC lathe turns shafts and discs, roughing to finishing, "
        "and is easy to run and service.",
        ("淬硬导轨，贴塑处理", "主轴通孔 Φ82 mm", "8 工位电动刀架", "液压卡盘与尾座（选配）", "GSK 980TDi / FANUC 0i-TF"),
        ("Hardened and coated guideways", "Φ82 mm spindle bore", "8-station electric turret",
         "Hydraulic chuck and tailstock (option)", "GSK 980TDi or FANUC 0i-TF control"),
        (Spec("床身上最大回转直径", "Swing over bed", "Φ500 mm"), Spec("最大加工长度", "Max. turning length", "1000 mm"),
         Spec("主轴转速", "Spindle speed", "150–2000 rpm"), Spec("主轴通孔", "Spindle bore", "Φ82 mm"),
         Spec("刀架工位", "Turret stations", "8"), Spec("机床重量", "Machine weight", "2900 kg")),
    ),
    "HMC630": Product(
        "QH-HMC630", "卧式加工中心", "Horizontal Machining Center", Decimal("1280000"),
        "QH-HMC630 卧式加工中心配双交换工作台和 B 轴分度，一次装夹完成箱体四面加工。",
        "The QH-HMC630 has twin pallets and an indexing B axis: four faces of a housing in one clamping.",
        ("双工作台自动交换，交换时间 12 秒", "B 轴 0.001° 分度", "BT50 主轴 6000 rpm，最大扭矩 500 N·m",
         "60 把链式刀库", "排屑器与冷却系统一体化设计"),
        ("Automatic twin-pallet changer, 12 s", "B axis indexing in 0.001° steps",
         "BT50 spindle, 6,000 rpm, 500 N·m peak torque", "60-tool chain magazine",
         "Integrated chip conveyor and coolant"),
        (Spec("工作台尺寸", "Pallet size", "630 × 630 mm"), Spec("X/Y/Z 行程", "X/Y/Z travel", "1050 / 900 / 900 mm"),
         Spec("主轴转速", "Spindle speed", "6000 rpm"), Spec("主轴锥孔", "Spindle taper", "BT50"),
         Spec("刀库容量", "Tool magazine", "60"), Spec("机床重量", "Machine weight", "16500 kg")),
    ),
    "GMC2016": Product(
        "QH-GMC2016", "龙门加工中心", "Gantry Machining Center", Decimal("2150000"),
        "QH-GMC2016 定梁龙门加工中心，适用于大型模具、机架和结构件的重切削。",
        "The QH-GMC2016 fixed-rail gantry is built for heavy cutting of large moulds, frames and weldments.",
        ("横梁与立柱一体化铸造", "BT50 齿轮主轴，800 N·m", "直角铣头（选配）", "32 把刀库", "Siemens 828D 系统"),
        ("One-piece cast cross rail and columns", "BT50 geared spindle, 800 N·m", "Right-angle head (option)",
         "32-tool magazine", "Siemens 828D control"),
        (Spec("工作台尺寸", "Table size", "2000 × 1400 mm"), Spec("X/Y/Z 行程", "X/Y/Z travel", "2200 / 1600 / 800 mm"),
         Spec("龙门宽度", "Distance between columns", "1700 mm"), Spec("主轴转速", "Spindle speed", "6000 rpm"),
         Spec("工作台承重", "Table load", "8000 kg"), Spec("机床重量", "Machine weight", "28000 kg")),
    ),
    "5AX400": Product(
        "QH-5AX400", "五轴联动加工中心", "5-Axis Machining Center", Decimal("2680000"),
        "QH-5AX400 摇篮式五轴联动加工中心，适合叶轮、光学模具和精密结构件的复杂曲面加工。",
        "The QH-5AX400 trunnion-type 5-axis center machines impellers, optical moulds and precision parts "
        "in one setup.",
        ("A/C 双轴直驱转台", "电主轴 20000 rpm，HSK-A63", "光栅尺全闭环", "RTCP 刀尖跟随", "Heidenhain TNC 640 系统"),
        ("Direct-drive A/C trunnion table", "20,000 rpm motor spindle, HSK-A63", "Linear scales, fully closed loop",
         "RTCP tool-centre-point control", "Heidenhain TNC 640 control"),
        (Spec("转台直径", "Table diameter", "Φ400 mm"), Spec("X/Y/Z 行程", "X/Y/Z travel", "600 / 500 / 450 mm"),
         Spec("A 轴摆角", "A axis tilt", "±120°"), Spec("C 轴", "C axis", "360° continuous"),
         Spec("主轴转速", "Spindle speed", "20000 rpm"), Spec("定位精度", "Positioning accuracy", "±0.004 mm")),
    ),
}

# Options and services that appear on quotes next to the machines.
EXTRAS: dict[str, Product] = {
    "ROTARY": Product("QH-RT210", "第四轴数控转台", "4th-axis rotary table", Decimal("58000"), "", ""),
    "PROBE": Product("QH-WP40", "工件测头系统", "Workpiece probing system", Decimal("32000"), "", ""),
    "TSC": Product("QH-TSC20", "主轴中心出水 2 MPa", "Through-spindle coolant, 2 MPa", Decimal("26000"), "", ""),
    "CHIP": Product("QH-CC01", "链板式排屑器", "Chain-type chip conveyor", Decimal("15000"), "", ""),
    "INSTALL": Product("SV-INST", "安装调试", "Installation and commissioning", Decimal("12000"), "", ""),
    "TRAINING": Product("SV-TRN3", "操作培训（3 天）", "Operator training (3 days)", Decimal("6000"), "", ""),
    "MAINT": Product("SV-AMC", "年度维保服务", "Annual maintenance contract", Decimal("18000"), "", ""),
}

PAYMENT_TERMS: dict[str, tuple[str, str]] = {
    "30-60-10": (
        "合同签订后 7 日内支付 30% 预付款；发货前支付 60%；终验收合格后支付 10% 质保金（net 60，即验收后 60 天内）。",
        "30% advance within 7 days of signing; 60% before shipment; 10% retention net 60 after final acceptance.",
    ),
    "net60": (
        "货到验收合格后 60 天内一次性付清（net 60），以电汇方式支付。",
        "Net 60: the full amount by bank transfer within 60 days of acceptance.",
    ),
    "20-net60": (
        "合同签订后支付 20% 预付款，余款于终验收合格之日起 60 天内付清（net 60）。",
        "20% down payment on signing; balance net 60 from final acceptance.",
    ),
    "lc": (
        "买方开立以卖方为受益人的不可撤销即期信用证（L/C at sight），金额为合同总价的 100%。",
        "Irrevocable letter of credit at sight for 100% of the contract value, in favour of the seller.",
    ),
}


# =============================================================================================
# Money, dates, amounts in words
# =============================================================================================

_CENT = Decimal("0.01")
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def money(amount: Decimal, currency: str = "CNY") -> str:
    symbol = {"CNY": "¥", "EUR": "€", "USD": "$"}.get(currency, currency + " ")
    return f"{symbol}{amount.quantize(_CENT, ROUND_HALF_UP):,.2f}"


def _group_in_words(group: int) -> str:
    """1..9999 in financial Chinese numerals, without leading zeros."""
    words, zero = "", False
    for position in (3, 2, 1, 0):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += _DIGITS[digit] + _SMALL_UNITS[position]
    return words


def rmb_in_words(amount: Decimal) -> str:
    """An amount the way Chinese contracts and invoices write it: 1,280,000.50 -> 壹佰贰拾捌万元伍角."""
    fen_total = int((amount * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if fen_total < 0:
        raise ValueError("amounts in words are for non-negative amounts")
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    words, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(words)
            continue
        if words and (gap or group < 1000):
            words += "零"
        words += _group_in_words(group) + _BIG_UNITS[index]
        gap = False
    if words:
        words += "元"
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    return words


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def en_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def any_date(day: dt.date, lang: str) -> str:
    return zh_date(day) if lang == "zh" else en_date(day)


# =============================================================================================
# Document bodies and their renderers
# =============================================================================================


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # the first row is the header
    widths: tuple[float, ...] = ()  # relative column widths
    right: tuple[int, ...] = ()  # columns aligned right (numbers)


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, e.g. the parties of a contract."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Signatures:
    parties: tuple[tuple[str, str], ...]  # (role, name), side by side


Block = Heading | Para | Bullets | Table | Fields | Signatures


@dataclass(frozen=True)
class Body:
    title: str
    blocks: tuple[Block, ...]
    lang: str = "zh"  # "zh" or "en"
    subtitle: str = ""
    author: str = ""
    reference: str = ""
    marking: str = ""  # classification banner, e.g. "机密 CONFIDENTIAL"
    keywords: tuple[str, ...] = field(default_factory=tuple)


MARKINGS = {
    "public": "公开 PUBLIC",
    "internal": "内部 INTERNAL",
    "confidential": "机密 CONFIDENTIAL",
    "secret": "绝密 SECRET",
}

# --- PDF ---------------------------------------------------------------------------------------

CJK_FONT_ENV = "DOSSIER_PDF_CJK_FONT"  # "path" or "path:subfont-index"
CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # Debian: fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian: fonts-wqy-microhei
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # Debian: fonts-arphic-uming
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # Debian: fonts-droid-fallback
)
_PDF_FONT_NAME = "DossierCJK"
_FALLBACK_CID_FONT = "STSong-Light"


@dataclass(frozen=True)
class PdfFont:
    name: str  # the reportlab font name to draw with
    embedded: bool
    source: str  # a file path, or the CID font's name


def _font_candidates() -> list[tuple[str, int]]:
    candidates = list(CJK_FONT_CANDIDATES)
    configured = os.environ.get(CJK_FONT_ENV, "").strip()
    if configured:
        path, _, index = configured.partition(":") if not os.path.exists(configured) else (configured, "", "")
        candidates.insert(0, (path, int(index) if index.isdigit() else 0))
    return candidates


@lru_cache(maxsize=1)
def pdf_font() -> PdfFont:
    """The font PDFs are drawn with: an embedded TrueType CJK font if one is installed, else STSong-Light."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in _font_candidates():
        if not os.path.isfile(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont(_PDF_FONT_NAME, path, subfontIndex=index))
        except Exception as exc:  # a font reportlab cannot embed (CFF outlines, broken file): try the next
            logger.info("cannot use %s for PDFs: %s", path, exc)
            continue
        return PdfFont(name=_PDF_FONT_NAME, embedded=True, source=path)
    pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK_CID_FONT))
    return PdfFont(name=_FALLBACK_CID_FONT, embedded=False, source=_FALLBACK_CID_FONT)


def render_pdf(body: Body) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from reportlab.platypus import Table as PdfTable
    from reportlab.platypus import TableStyle

    font = pdf_font().name
    wrap = "CJK" if body.lang == "zh" else None
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14.5, spaceAfter=4, wordWrap=wrap)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5, spaceAfter=0)
    small_right = ParagraphStyle("small_right", parent=small, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=base, fontSize=17, leading=23, spaceAfter=4)
    subtitle = ParagraphStyle("subtitle", parent=base, fontSize=10.5, leading=15, textColor=colors.HexColor("#555555"),
                              spaceAfter=10)
    headings = {
        1: ParagraphStyle("h1", parent=base, fontSize=12.5, leading=18, spaceBefore=10, spaceAfter=5,
                          textColor=colors.HexColor("#1f3a5f")),
        2: ParagraphStyle("h2", parent=base, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3),
    }
    # U+2022 is missing from WenQuanYi; a small black circle is in every CJK font.
    bullet = ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=3, bulletFontName=font,
                            bulletFontSize=5, bulletOffsetY=1.5)
    width = A4[0] - 40 * mm

    def para(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(rows, col_widths, *, grid: bool, right: Sequence[int] = ()) -> PdfTable:
        cells = [
            [para(cell, small_right if c in right and r > 0 else small) for c, cell in enumerate(row)]
            for r, row in enumerate(rows)
        ]
        result = PdfTable(cells, colWidths=col_widths, repeatRows=1 if grid else 0, hAlign="LEFT")
        commands = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        if grid:
            commands += [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                         ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4eaf1"))]
        result.setStyle(TableStyle(commands))
        return result

    story: list = [para(body.title, title)]
    if body.subtitle:
        story.append(para(body.subtitle, subtitle))
    for block in body.blocks:
        if isinstance(block, Heading):
            story.append(para(block.text, headings.get(block.level, headings[2])))
        elif isinstance(block, Para):
            story.append(para(block.text))
        elif isinstance(block, Bullets):
            story.extend(Paragraph(escape(item), bullet, bulletText="●") for item in block.items)
        elif isinstance(block, Table):
            weights = block.widths or (1,) * len(block.rows[0])
            total = sum(weights)
            story.append(table(block.rows, [width * w / total for w in weights], grid=True, right=block.right))
            story.append(Spacer(1, 6))
        elif isinstance(block, Fields):
            story.append(table(block.pairs, [width * 0.28, width * 0.72], grid=False))
            story.append(Spacer(1, 4))
        elif isinstance(block, Signatures):
            rows = [
                tuple(f"{role}：{name}" if body.lang == "zh" else f"{role}: {name}" for role, name in block.parties),
                tuple(("授权代表（签字）：" if body.lang == "zh" else "Authorised signature:") + "\n\n______________________"
                      for _ in block.parties),
                tuple(("盖章 / 日期：" if body.lang == "zh" else "Seal / date:") for _ in block.parties),
            ]
            story.append(Spacer(1, 14))
            story.append(table(rows, [width / len(block.parties)] * len(block.parties), grid=False))

    footer_left = "  ·  ".join(part for part in (body.reference, body.marking) if part)

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(20 * mm, 12 * mm, footer_left)
        page = f"第 {doc.page} 页" if body.lang == "zh" else f"Page {doc.page}"
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, page)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, SELLER.zh if body.lang == "zh" else SELLER.en)
        if body.marking:
            canvas.drawRightString(A4[0] - 20 * mm, A4[1] - 12 * mm, body.marking)
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        title=body.title, author=body.author, subject=body.subtitle, creator="Dossier demo",
        keywords=", ".join(body.keywords), invariant=1,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


# --- DOCX --------------------------------------------------------------------------------------


def _normalized_zip(data: bytes) -> bytes:
    """Rewrite an Office zip with fixed member timestamps and core properties: same content, same bytes."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():  # keep the order: [Content_Types].xml first is what sniffers expect
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(2),
                    payload,
                )
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, payload)
    return out.getvalue()


def render_docx(body: Body) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    document = docx.Document()
    latin, east_asian = ("Calibri", "SimSun")
    for style_name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "List Bullet"):
        style = document.styles[style_name]
        style.font.name = latin
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "SimHei" if style_name.startswith(("Heading", "Title")) else east_asian)
    document.styles["Normal"].font.size = Pt(10.5)

    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.text = f"{SELLER.name(body.lang)}    {body.marking}".rstrip()
    footer = section.footer.paragraphs[0]
    footer.text = body.reference
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    document.add_heading(body.title, level=0)
    if body.subtitle:
        document.add_paragraph(body.subtitle, style="Subtitle")
    for block in body.blocks:
        if isinstance(block, Heading):
            document.add_heading(block.text, level=min(block.level, 2))
        elif isinstance(block, Para):
            document.add_paragraph(block.text)
        elif isinstance(block, Bullets):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
        elif isinstance(block, (Table, Fields)):
            rows = block.rows if isinstance(block, Table) else block.pairs
            right = block.right if isinstance(block, Table) else ()
            grid = document.add_table(rows=len(rows), cols=len(rows[0]))
            grid.style = "Table Grid" if isinstance(block, Table) else None
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    cell = grid.cell(r, c)
                    cell.text = text
                    paragraph = cell.paragraphs[0]
                    if c in right and r > 0:
                        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    if isinstance(block, Table) and r == 0 or isinstance(block, Fields) and c == 0:
                        for run in paragraph.runs:
                            run.bold = True
            document.add_paragraph()
        elif isinstance(block, Signatures):
            grid = document.add_table(rows=3, cols=len(block.parties))
            for c, (role, name) in enumerate(block.parties):
                grid.cell(0, c).text = f"{role}：{name}" if body.lang == "zh" else f"{role}: {name}"
                label = "授权代表（签字）：" if body.lang == "zh" else "Authorised signature:"
                grid.cell(1, c).text = label + "\n\n__________________"
                grid.cell(2, c).text = "盖章 / 日期：" if body.lang == "zh" else "Seal / date:"
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Subtitle":
            for run in paragraph.runs:
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    properties = document.core_properties
    properties.title = body.title
    properties.subject = body.subtitle
    properties.author = body.author
    properties.last_modified_by = body.author
    properties.keywords = ", ".join(body.keywords)
    properties.category = body.marking
    properties.revision = 1
    properties.created = FIXED_TIMESTAMP
    properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    document.save(buffer)
    return _normalized_zip(buffer.getvalue())


# --- plain text ----------------------------------------------------------------------------------


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _display_width(text))
    return gap + text if right else text + gap


def render_text(body: Body) -> bytes:
    lines = [body.title, "=" * max(8, _display_width(body.title))]
    if body.subtitle:
        lines.append(body.subtitle)
    if body.marking or body.reference:
        lines.append("  ·  ".join(part for part in (body.reference, body.marking) if part))
    lines.append("")
    for block in body.blocks:
        if isinstance(block, Heading):
            lines += [block.text, ("-" if block.level == 1 else "·") * max(4, _display_width(block.text)), ""]
        elif isinstance(block, Para):
            lines += [block.text, ""]
        elif isinstance(block, Bullets):
            lines += [f"  - {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            widths = [max(_display_width(row[c]) for row in block.rows) for c in range(len(block.rows[0]))]
            for r, row in enumerate(block.rows):
                cells = (_pad(cell, widths[c], c in block.right and r > 0) for c, cell in enumerate(row))
                lines.append("  ".join(cells).rstrip())
                if r == 0:
                    lines.append("  ".join("-" * w for w in widths))
            lines.append("")
        elif isinstance(block, Fields):
            label_width = max(_display_width(label) for label, _ in block.pairs)
            lines += [f"{_pad(label, label_width)}  {value}" for label, value in block.pairs] + [""]
        elif isinstance(block, Signatures):
            lines += [f"{role}: {name}    ________________" for role, name in block.parties] + [""]
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")


# --- CSV, XLSX -----------------------------------------------------------------------------------


def render_csv(rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese CSV files correctly."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class Column:
    title: str
    width: float = 14
    number_format: str = ""  # e.g. "#,##0.00", "0%"


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    heading: tuple[str, ...] = ()  # lines above the table
    # (label, value) or (label, value, number format) lines below the table, in the last two columns
    totals: tuple[tuple, ...] = ()
    note: str = ""


def render_xlsx(sheets: Sequence[Sheet], *, title: str, author: str, subject: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    thin = Side(style="thin", color="9AA5B1")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="E4EAF1")
    for spec in sheets:
        sheet = workbook.create_sheet(spec.name[:31])
        row = 1
        for index, line in enumerate(spec.heading):
            sheet.cell(row=row, column=1, value=line).font = Font(bold=index == 0, size=14 if index == 0 else 10)
            row += 1
        if spec.heading:
            row += 1
        header_row = row
        for c, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=row, column=c, value=column.title)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.border = border
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            sheet.column_dimensions[get_column_letter(c)].width = column.width
        for values in spec.rows:
            row += 1
            for c, (value, column) in enumerate(zip(values, spec.columns, strict=True), start=1):
                cell = sheet.cell(row=row, column=c, value=value)
                cell.border = border
                if column.number_format and isinstance(value, (int, float, Decimal)):
                    cell.number_format = column.number_format
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        if spec.totals:
            row += 1
            last = len(spec.columns)
            for label, value, *number_format in spec.totals:
                row += 1
                sheet.cell(row=row, column=last - 1, value=label).font = Font(bold=True)
                cell = sheet.cell(row=row, column=last, value=value)
                cell.font = Font(bold=True)
                if isinstance(value, (int, float, Decimal)):
                    cell.number_format = (number_format or [spec.columns[-1].number_format or "#,##0.00"])[0]
        if spec.note:
            sheet.cell(row=row + 2, column=1, value=spec.note).alignment = Alignment(wrap_text=False)
    workbook.properties.title = title
    workbook.properties.creator = author
    workbook.properties.lastModifiedBy = author
    workbook.properties.subject = subject
    workbook.properties.created = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalized_zip(buffer.getvalue())


# =============================================================================================
# Business documents
# =============================================================================================


@dataclass(frozen=True)
class Line:
    """One line of a quote, contract or bid."""

    item: Product
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")  # a fraction: 0.05 is 5 %

    @property
    def net_unit(self) -> Decimal:
        return (self.unit_price * (1 - self.discount)).quantize(_CENT, ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.net_unit * self.quantity


def lines_total(lines: Sequence[Line]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0"))


def _line_table(lines: Sequence[Line], lang: str, currency: str, *, with_discount: bool = True) -> Table:
    if lang == "zh":
        header = ("序号", "型号", "名称", "数量", "单价（含税）", "折扣", "金额（含税）")
    else:
        header = ("No.", "Model", "Description", "Qty", "Unit price", "Discount", "Amount")
    rows = [header]
    for number, line in enumerate(lines, start=1):
        rows.append((
            str(number), line.item.code, line.item.name(lang), str(line.quantity), money(line.unit_price, currency),
            f"{line.discount * 100:.0f}%" if line.discount else "—", money(line.total, currency),
        ))
    total_label = "合计" if lang == "zh" else "Total"
    rows.append(("", "", total_label, "", "", "", money(lines_total(lines), currency)))
    if not with_discount:
        rows = [row[:5] + row[6:] for row in rows]
        return Table(tuple(rows), widths=(0.5, 1.3, 2.4, 0.6, 1.4, 1.6), right=(3, 4, 5))
    return Table(tuple(rows), widths=(0.5, 1.3, 2.2, 0.5, 1.4, 0.8, 1.5), right=(3, 4, 5, 6))


# --- sales contracts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractTerms:
    number: str
    customer: Company
    lines: tuple[Line, ...]
    signed_on: dt.date
    payment: str  # a key of PAYMENT_TERMS
    delivery_days: int
    warranty_months: int = 12
    currency: str = "CNY"
    incoterm: str = ""  # export contracts, e.g. "CIF Hamburg"
    seller_rep: str = "王芳"
    revision_note: str = ""


def sales_contract(terms: ContractTerms, *, lang: str, marking: str, author: str) -> Body:
    total = lines_total(terms.lines)
    customer = terms.customer
    pay_zh, pay_en = PAYMENT_TERMS[terms.payment]
    if lang == "zh":
        blocks: list[Block] = [
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
            _line_table(terms.lines, "zh", terms.currency),
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
        if terms.revision_note:
            blocks.append(Para(f"修订说明：{terms.revision_note}"))
        blocks.append(Signatures((("买方", customer.zh), ("卖方", SELLER.zh))))
        return Body(
            title=f"销售合同 Sales Contract {terms.number}",
            subtitle=f"{customer.zh} · {'、'.join(line.item.code for line in terms.lines)}",
            blocks=tuple(blocks), lang="zh", author=author, reference=terms.number, marking=marking,
            keywords=("销售合同", customer.zh, terms.number),
        )
    delivery = (
        f"Delivery within {terms.delivery_days} days of the advance payment, {terms.incoterm} (Incoterms 2020)."
        if terms.incoterm else
        f"Delivery within {terms.delivery_days} days of the advance payment, to the buyer's plant at "
        f"{customer.address_en}."
    )
    blocks = [
        Fields((
            ("Contract No.", terms.number),
            ("Date", en_date(terms.signed_on)),
            ("Buyer", f"{customer.en}, {customer.address_en}"),
            ("Seller", f"{SELLER.en} ({SELLER.zh}), {SELLER.address_en}"),
        )),
        Para("The Buyer agrees to buy and the Seller agrees to sell the goods and services below "
             "on the following terms."),
        Heading("1. Goods and price"),
        _line_table(terms.lines, "en", terms.currency),
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
    if terms.revision_note:
        blocks.append(Para(f"Revision note: {terms.revision_note}"))
    blocks.append(Signatures((("Buyer", customer.en), ("Seller", SELLER.en))))
    return Body(
        title=f"Sales Contract {terms.number}",
        subtitle=f"{customer.en} · {', '.join(line.item.code for line in terms.lines)}",
        blocks=tuple(blocks), lang="en", author=author, reference=terms.number, marking=marking,
        keywords=("sales contract", customer.en, terms.number),
    )


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


# --- tenders -----------------------------------------------------------------------------------


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
            _line_table(terms.lines, "zh", "CNY", with_discount=False),
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
        cost = (line.net_unit * cost_ratio).quantize(_CENT, ROUND_HALF_UP)
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


# --- quotes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteTerms:
    number: str
    customer: Company
    lines: tuple[Line, ...]
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
            _line_table(terms.lines, "zh", terms.currency),
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
            _line_table(terms.lines, "en", terms.currency),
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
        vat = (total / Decimal("1.13") * Decimal("0.13")).quantize(_CENT)
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


# --- product material --------------------------------------------------------------------------


def brochure(product: Product, *, lang: str, edition: str, author: str) -> Body:
    zh = lang == "zh"
    specs = Table(
        (("参数", "数值") if zh else ("Specification", "Value"),
         *((spec.zh if zh else spec.en, spec.value) for spec in product.specs)),
        widths=(1.2, 1.5),
    )
    if zh:
        blocks = (
            Para(product.summary_zh),
            Heading("产品特点"),
            Bullets(product.features_zh),
            Heading("主要技术参数"),
            specs,
            Heading("典型应用"),
            Para("汽车零部件、工程机械、模具、3C 电子结构件、液压阀体及通用机械零件。"),
            Heading("服务与支持"),
            Para(f"全国 26 个服务网点，7×24 小时服务热线 {SELLER.phone}。提供免费安装调试、操作编程培训及终身技术支持。"),
            Para("本手册参数如有变更，恕不另行通知，以双方签订的技术协议为准。"),
        )
        title = f"产品手册 {product.code} {product.name_zh}"
    else:
        blocks = (
            Para(product.summary_en),
            Heading("Highlights"),
            Bullets(product.features_en),
            Heading("Specifications"),
            specs,
            Heading("Applications"),
            Para("Automotive components, construction machinery, moulds and dies, electronics housings and "
                 "hydraulic valve bodies."),
            Heading("Service"),
            Para(f"26 service points across China and partners in Germany and Thailand; 24/7 hotline {SELLER.phone}. "
                 "Installation, programming courses and lifetime technical support."),
            Para("Specifications may change without notice; the signed technical agreement prevails."),
        )
        title = f"{product.code} {product.name_en} — Product Brochure"
    return Body(title=title, subtitle=f"{SELLER.name(lang)} · {edition}", blocks=blocks, lang=lang, author=author,
                reference=f"{product.code} {edition}", marking=MARKINGS["public"],
                keywords=(product.code, product.name(lang), "brochure" if not zh else "产品手册"))


def spec_sheet_rows() -> list[tuple[str, ...]]:
    labels = []
    for product in PRODUCTS.values():
        for spec in product.specs:
            if (spec.zh, spec.en) not in labels:
                labels.append((spec.zh, spec.en))
    rows: list[tuple[str, ...]] = [("型号 Model", "名称", "Name", *(f"{zh} {en}" for zh, en in labels))]
    for product in PRODUCTS.values():
        values = {(spec.zh, spec.en): spec.value for spec in product.specs}
        rows.append((product.code, product.name_zh, product.name_en, *(values.get(label, "") for label in labels)))
    return rows


def model_comparison_workbook(codes: Sequence[str], *, author: str) -> bytes:
    products = [PRODUCTS[code] for code in codes]
    labels = []
    for product in products:
        for spec in product.specs:
            if (spec.zh, spec.en) not in labels:
                labels.append((spec.zh, spec.en))
    rows = []
    for zh, en in labels:
        rows.append((f"{zh} / {en}", *({(s.zh, s.en): s.value for s in p.specs}.get((zh, en), "—") for p in products)))
    rows.append(("目录价 / List price (CNY)", *(f"{p.price:,.0f}" for p in products)))
    columns = (Column("参数 / Specification", 30), *(Column(p.code, 18) for p in products))
    sheet = Sheet(name="对比 Comparison", columns=columns, rows=tuple(rows),
                  heading=("机型对比 Model comparison", " vs ".join(f"{p.code} {p.name_zh}" for p in products)),
                  note="选型建议：零件最大尺寸 ≤ 800 mm 选 VMC850；箱体类或多工位夹具选 VMC1160。")
    return render_xlsx([sheet], title="机型对比 Model comparison", author=author)


def installation_guide(*, author: str, marking: str) -> Body:
    return Body(
        title="安装调试指南 Installation & Commissioning Guide",
        subtitle="QH-VMC 系列立式加工中心 / QH-VMC series",
        lang="zh", author=author, reference="SV-IG-VMC-2026", marking=marking, keywords=("安装调试", "VMC850", "VMC1160"),
        blocks=(
            Heading("1 地基与环境 Foundation"),
            Bullets(("混凝土地基厚度 ≥ 300 mm，平面度 ≤ 5 mm/m", "环境温度 5–40 ℃，相对湿度 ≤ 80%",
                     "电源 AC 380 V ±10%，50 Hz，容量 25 kVA；气源 0.6 MPa")),
            Heading("2 吊装与就位 Lifting"),
            Para("使用随机吊装工具，吊装前锁紧工作台和主轴箱运输固定块。就位后拆除固定块并妥善保存，搬迁时重新安装。"),
            Heading("3 调平 Levelling"),
            Para("使用 0.02 mm/m 精密水平仪在工作台中央纵横两个方向调平，读数均应 ≤ 0.02 mm/m。调平后锁紧地脚螺栓，48 小时后复查。"),
            Heading("4 通电与试运行 First power-on"),
            Table((("步骤 Step", "检查内容 Check", "标准 Criterion"),
                   ("1", "相序与电压", "相序正确，电压 380 V ±10%"),
                   ("2", "润滑及冷却", "各润滑点出油，冷却液流量正常"),
                   ("3", "回参考点", "三轴回零无报警"),
                   ("4", "主轴跑合", "500 → 10000 rpm 分级跑合 2 小时，温升 ≤ 20 ℃"),
                   ("5", "换刀测试", "连续换刀 200 次无故障")), widths=(0.6, 1.6, 2.2)),
            Heading("5 精度检验 Accuracy check"),
            Para("按 GB/T 18400 及技术协议检验几何精度和定位精度，填写精度检验记录表，与客户代表共同签字确认。"),
        ),
    )


# --- service, compliance, internal -------------------------------------------------------------


def service_report(*, number: str, customer: Company, machine: str, serial: str, reported_on: dt.date,
                   engineer: str, author: str, marking: str) -> Body:
    return Body(
        title=f"售后服务报告 {number}",
        subtitle=f"{customer.zh} · {machine} 主轴异响",
        lang="zh", author=author, reference=number, marking=marking, keywords=("售后服务", machine, customer.zh),
        blocks=(
            Fields((("报告编号", number), ("客户", customer.zh), ("设备", f"{machine}（出厂编号 {serial}）"),
                    ("报修日期", zh_date(reported_on)), ("服务工程师", engineer), ("服务类型", "质保期内免费维修"))),
            Heading("故障描述"),
            Para("客户反映主轴在 8000 rpm 以上运行时有周期性异响，加工表面出现振纹，粗糙度由 Ra 0.8 劣化至 Ra 1.6。"),
            Heading("检查与分析"),
            Bullets(("主轴振动值 4.2 mm/s（标准 ≤ 2.0 mm/s）", "拉刀力检测正常 12 kN", "主轴前轴承温升偏高 26 ℃",
                     "判断为主轴前轴承预紧力衰减")),
            Heading("处理措施"),
            Para("更换主轴前轴承组件（备件号 SP-BRG-7014），重新调整预紧力并进行动平衡；跑合 4 小时后振动值降至 1.1 mm/s，试切表面粗糙度 Ra 0.6。"),
            Heading("客户意见"),
            Para("设备恢复正常，对服务响应速度满意。建议加强日常润滑检查。"),
            Signatures((("服务工程师", engineer), ("客户确认", customer.contact_zh))),
        ),
    )


def compliance_review(*, number: str, subject: str, customer: Company, author: str, marking: str,
                      reviewed_on: dt.date) -> Body:
    return Body(
        title=f"合规审查意见 Compliance review {number}",
        subtitle=subject,
        lang="zh", author=author, reference=number, marking=marking, keywords=("合规", "反商业贿赂", customer.zh),
        blocks=(
            Fields((("审查编号", number), ("审查对象", subject), ("相关客户", customer.zh), ("审查日期", zh_date(reviewed_on)),
                    ("结论 Conclusion", "有条件通过 Approved with conditions"))),
            Heading("一、审查范围"),
            Para("投标报价审批流程、居间服务费安排、招待及礼品记录、与招标代理机构的往来。"),
            Heading("二、发现的问题"),
            Bullets(("投标价较目录价折让 18%，超出区域经理权限，但已补充总经理审批记录；",
                     "拟聘请的当地居间方未完成尽职调查，居间协议未签署；",
                     "3 月份客户招待费用单次人均超出公司标准 40%。")),
            Heading("三、整改要求"),
            Bullets(("居间方须完成第三方尽职调查并经合规部批准后方可签约；居间费不得以现金支付；",
                     "招待超标部分由责任人说明原因，计入季度合规报告；",
                     "中标后合同价格不得低于本次审批价格。")),
            Heading("四、English summary"),
            Para("The bid may proceed. Before any intermediary is engaged, third-party due diligence must be "
                 "completed and approved by Compliance; no cash payments. The entertainment overspend is recorded "
                 "in the quarterly report."),
        ),
    )


def export_screening(*, number: str, customer: Company, machine: str, author: str, marking: str,
                     screened_on: dt.date) -> Body:
    return Body(
        title=f"Export control screening — {customer.en}",
        subtitle=f"{number} · {machine}",
        lang="en", author=author, reference=number, marking=marking, keywords=("export control", customer.en, machine),
        blocks=(
            Fields((("Screening No.", number), ("Customer", customer.en), ("Country", "Germany"), ("Item", machine),
                    ("Date", en_date(screened_on)), ("Result", "No match — cleared"))),
            Heading("1. Restricted-party screening"),
            Table((("List", "Checked", "Result"), ("Chinese unreliable entity list", "yes", "no match"),
                   ("EU consolidated sanctions list", "yes", "no match"),
                   ("UN Security Council list", "yes", "no match"),
                   ("US SDN / Entity List", "yes", "no match")), widths=(2.2, 0.8, 1)),
            Heading("2. Item classification"),
            Para(f"The {machine} 5-axis machining center was assessed against the dual-use control lists for "
                 "machine tools (contouring accuracy, number of simultaneous axes). Positioning accuracy ±0.004 mm; "
                 "an export licence application is required before shipment. The licence file is tracked under the "
                 "same number."),
            Heading("3. End use"),
            Para("End-user statement received: civil production of optical moulds for automotive lighting. "
                 "No military or nuclear end use; no re-export."),
            Heading("4. Conditions"),
            Bullets(("Ship only after the export licence is granted.",
                     "Keep the end-user statement with the contract file.",
                     "Re-screen the customer if delivery slips by more than 90 days.")),
        ),
    )


def visit_report(*, customer: Company, visited_on: dt.date, author_name: str, attendees: Sequence[str],
                 next_steps: Sequence[str], author: str, marking: str) -> Body:
    return Body(
        title=f"客户拜访纪要 — {customer.zh}",
        subtitle=f"拜访日期 {zh_date(visited_on)} · 记录人 {author_name}",
        lang="zh", author=author, marking=marking, keywords=("拜访纪要", customer.zh),
        blocks=(
            Fields((("客户", f"{customer.zh}（{customer.en}）"), ("地点", customer.address_zh),
                    ("参加人员", "、".join(attendees)))),
            Heading("会谈要点"),
            Bullets((
                "客户二期厂房预计下半年投产，计划新增立式加工中心 4–6 台、数控车床 2 台；",
                "对现有 VMC850 的精度保持性满意，希望新机配置主轴中心出水和工件测头；",
                "付款方式希望由 30/60/10 调整为 net 60，采购部门倾向框架协议方式；",
                "竞争对手已报价，价格比我方低约 6%，但交货期 120 天。",
            )),
            Heading("下一步"),
            Bullets(tuple(next_steps)),
        ),
    )


def meeting_minutes(*, week: str, held_on: dt.date, attendees: Sequence[str], items: Sequence[tuple[str, str, str]],
                    author: str, marking: str) -> Body:
    return Body(
        title=f"销售周例会纪要 {week}",
        subtitle=f"{zh_date(held_on)} · 华北销售部 / Sales North weekly",
        lang="zh", author=author, marking=marking, keywords=("周例会", "Sales North"),
        blocks=(
            Para("参会人员：" + "、".join(attendees)),
            Heading("项目进展"),
            Table((("项目", "进展", "负责人"), *items), widths=(2, 3, 1)),
            Heading("决议"),
            Bullets(("天津滨海投标价格按第二版提交，低于目录价部分已报总经理审批；",
                     "北京京北重工龙门项目本月完成预验收；",
                     "下周起所有报价单统一使用 2026 版价格表。")),
        ),
    )


def bid_retrospective(*, author: str, marking: str, customer: Company, tender_no: str) -> Body:
    return Body(
        title=f"投标复盘 Bid retrospective — {customer.zh}",
        subtitle=f"招标编号 {tender_no}",
        lang="zh", author=author, marking=marking, keywords=("投标复盘", tender_no),
        blocks=(
            Heading("结果 Outcome"),
            Para("综合评分第一名，预中标公示期内无异议。技术分领先 6 分，价格分落后 2 分。"),
            Heading("做得好的 What went well"),
            Bullets(("技术偏离表逐条对应招标参数，评委无质疑；", "现场试切样件提前两周送达客户；",
                     "投标文件版本管理清楚，最终版经合规审查。")),
            Heading("需要改进 What to improve"),
            Bullets(("第一版报价成本测算遗漏了测头选配，后续报价模板增加选配核对项；",
                     "投标保证金退还流程慢，财务需提前准备；",
                     "English summary: start the compliance review one week earlier next time.")),
        ),
    )


def demo_guide(*, logins: Sequence[tuple[str, str, str, str]], author: str) -> Body:
    return Body(
        title="Dossier 演示说明 / Demo guide",
        subtitle="What the demo data shows and how to try it",
        lang="zh", author=author, marking=MARKINGS["public"], keywords=("demo", "演示"),
        blocks=(
            Para("本演示的全部数据均为虚构：公司、客户、人名和金额都不对应任何真实机构。"
                 "All companies, people and amounts in this demo are fictitious."),
            Heading("登录 Sign in"),
            Table((("用户名 Username", "姓名 Name", "角色 Role", "部门 Department"), *logins), widths=(1.2, 1.4, 1, 1.6)),
            Para("所有演示用户的密码都是 dossier-demo。Every demo user's password is dossier-demo."),
            Heading("可以试试 Things to try"),
            Bullets((
                "以 wang.fang 登录：打开华东精密的销售合同，查看版本历史（第 2 版已审批），文档正被 sarah.chen 签出编辑。",
                "以 li.lei 登录：天津滨海投标书有三个版本，第 2 版已审批、第 3 版为草稿；商务标价格明细为绝密，只有授权人员可见。",
                "以 compliance 登录：合规部可以查看内部文档的元数据，并查询任何文档“谁能访问、为什么”。",
                "以 admin 登录：2025 版价格表已审批但已过期（expired），2026 版有一个待审批的新草稿。",
                "Sign in as sarah.chen for the English documents: Shenzhen Bright Optics quotation (three revisions), "
                "the mutual NDA and the Rhein Präzisionstechnik contract.",
            )),
        ),
    )


def maintenance_checklist(*, author: str, marking: str) -> Body:
    return Body(
        title="Preventive maintenance checklist — QH-VMC series",
        subtitle="Quarterly visit · 季度预防性维护检查表",
        lang="en", author=author, reference="SV-PM-VMC-Q", marking=marking, keywords=("maintenance", "VMC850", "维保"),
        blocks=(
            Heading("Before the visit"),
            Bullets(("Read the machine's service history and open tickets.", "Pack way-lube, spindle grease and the "
                     "ballbar kit.", "Agree a 4-hour machine stop with the customer's production planner.")),
            Heading("Mechanical"),
            Table((("Item", "Check", "Limit"), ("Spindle", "vibration at 8,000 rpm", "≤ 2.0 mm/s"),
                   ("Spindle", "drawbar force", "10–14 kN"), ("Ball screws", "backlash X/Y/Z", "≤ 0.005 mm"),
                   ("Way covers", "damage, chips behind wipers", "none"), ("Tool changer", "200 changes", "no fault"),
                   ("Lubrication", "oil level and distribution", "all points wet")), widths=(1.2, 2, 1.2)),
            Heading("Electrical and control"),
            Bullets(("Back up parameters and PMC ladder to USB; file the backup with the report.",
                     "Check cabinet filters and fans; clean or replace.", "Battery voltage of absolute encoders.")),
            Heading("Accuracy"),
            Para("Run the ballbar test at 1,000 mm/min in XY, YZ and ZX. Compensate backlash if circularity "
                 "exceeds 12 µm."),
            Heading("After the visit"),
            Para("Write the service report the same day (售后服务报告) and note the parts to order for the next visit."),
        ),
    )


def margin_analysis_workbook(deals: Sequence[tuple[str, str, str, Decimal, Decimal]], *, author: str,
                             period: str) -> bytes:
    """deals: (region, customer, model, revenue, cost)."""
    rows = tuple(
        (region, customer, model, float(revenue), float(cost), float(revenue - cost),
         float((revenue - cost) / revenue) if revenue else 0.0)
        for region, customer, model, revenue, cost in deals
    )
    revenue = sum((deal[3] for deal in deals), Decimal(0))
    cost = sum((deal[4] for deal in deals), Decimal(0))
    fmt = "#,##0"
    sheet = Sheet(
        name="毛利 Margin",
        heading=(f"毛利分析 Margin analysis {period}", "绝密 — 仅限管理层 / management only"),
        columns=(Column("区域 Region", 14), Column("客户 Customer", 32), Column("机型 Model", 14),
                 Column("收入 Revenue", 16, fmt), Column("成本 Cost", 16, fmt), Column("毛利 Gross margin", 16, fmt),
                 Column("毛利率 Margin %", 12, "0.0%")),
        rows=rows,
        totals=(("收入合计 Revenue", float(revenue), fmt), ("毛利合计 Gross margin", float(revenue - cost), fmt),
                ("毛利率 Margin %", float((revenue - cost) / revenue) if revenue else 0.0, "0.0%")),
        note="成本含标准制造成本、运费和安装费，不含销售费用。Cost = standard manufacturing cost + freight + installation.",
    )
    return render_xlsx([sheet], title=f"毛利分析 {period}", author=author, subject="margin analysis")
