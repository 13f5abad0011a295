"""The little world the demo's documents talk about: our company, its machine tools, its customers.

Plain data; the CRM demo (demo/crm/) turns the same customers and products into CRM records.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
