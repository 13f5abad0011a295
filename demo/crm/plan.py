"""The demo company's CRM, as data: customers and their deals, service records, knowledge articles, activities.

The customers the demo documents talk about (demo/world.py) come first; more accounts give the reports
something to count. demo/crm/seed.py writes all of it through the CRM services.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.crm.models import CustomerStatus, CustomerTier, DispatchState, Stage
from demo.world import CUSTOMERS

MARKER_CODE = "QH-C-001"  # the first demo customer; its existence means the CRM demo is there


@dataclass(frozen=True)
class Deal:
    """One opportunity and how far it got. `billing` says what happened after a won deal's order."""

    title: str
    items: tuple[tuple[str, int, int], ...]  # (product code, quantity, discount %)
    stage: str
    age_days: int  # how long ago the deal was opened
    lost_reason: str = ""
    billing: str = ""  # paid, partly-overdue, overdue, prepaid, invoiced, open, cancelled
    contract_key: str = ""  # a demo document to attach as the order's contract
    second_rep: str = ""  # a team member who also quoted this customer
    order_number: str = ""


@dataclass(frozen=True)
class CustomerPlan:
    code: str
    name: str
    region: str
    industry: str
    owner: str
    tier: str = CustomerTier.NORMAL
    status: str = CustomerStatus.ACTIVE
    currency: str = "CNY"
    contact: tuple[str, str, str, str] = ("", "", "", "")  # name, title, e-mail, phone
    team: tuple[str, ...] = ()
    age_days: int = 400
    deals: tuple[Deal, ...] = ()


def _company(key: str) -> tuple[str, str]:
    company = CUSTOMERS[key]
    return company.zh, company.city_zh


def _contact(key: str, title: str, domain: str) -> tuple[str, str, str, str]:
    company = CUSTOMERS[key]
    name = company.contact_zh if company.contact_zh != company.contact_en else company.contact_en
    handle = company.contact_en.lower().replace(" ", ".")
    return name, title, f"{handle}@{domain}", company.phone


PLAN: tuple[CustomerPlan, ...] = (
    # --- the companies the demo documents are about ------------------------------------------
    CustomerPlan(MARKER_CODE, *_company("huadong"), "汽车零部件 Automotive parts", "wang.fang", CustomerTier.KEY,
                 contact=_contact("huadong", "设备部经理", "huadong-precision.cn"), team=("sarah.chen", "liu.yang"),
                 age_days=720, deals=(
                     Deal("VMC850 × 4 扩产项目", (("QH-VMC850", 4, 5), ("QH-TSC20", 4, 0), ("SV-INST", 4, 0)),
                          Stage.WON, 150, billing="partly-overdue", contract_key="contract-huadong",
                          second_rep="sarah.chen", order_number="HD-2026-031"),
                     Deal("二期 HMC630 卧加", (("QH-HMC630", 2, 3),), Stage.NEGOTIATION, 40),
                 )),
    CustomerPlan("QH-C-002", "Shenzhen Bright Optics Co., Ltd.", "深圳", "Optics moulds", "sarah.chen",
                 CustomerTier.KEY, currency="USD", contact=_contact("bright_optics", "Purchasing manager",
                                                                    "brightoptics.com"),
                 age_days=500, deals=(
                     Deal("5-axis cells for optical moulds", (("QH-5AX400", 2, 5), ("QH-WP40", 2, 0),
                                                              ("SV-TRN3", 2, 0)),
                          Stage.WON, 120, billing="prepaid", contract_key="contract-bright-optics",
                          order_number="BO-2026-007"),
                 )),
    CustomerPlan("QH-C-003", *_company("zhongjie"), "自动化设备 Automation", "chen.jing",
                 contact=_contact("zhongjie", "采购总监", "zhongjie-auto.cn"), age_days=300, deals=(
                     Deal("框架协议 2026 备件", (("QH-SPB-01", 30, 8), ("QH-SRV-22", 6, 5)), Stage.PROPOSAL, 25),
                 )),
    CustomerPlan("QH-C-004", *_company("jingbei"), "重型机械 Heavy machinery", "zhang.wei", CustomerTier.KEY,
                 contact=_contact("jingbei", "总工程师", "jingbei-heavy.cn"), team=("li.lei",), age_days=650, deals=(
                     Deal("GMC2016 龙门加工中心", (("QH-GMC2016", 1, 4), ("SV-INST", 1, 0)), Stage.WON, 200,
                          billing="paid", contract_key="contract-jingbei", order_number="JB-2025-118"),
                     Deal("龙门二号机", (("QH-GMC2016", 1, 6),), Stage.QUALIFICATION, 20),
                 )),
    CustomerPlan("QH-C-005", *_company("binhai"), "汽车零部件 Automotive parts", "li.lei",
                 contact=_contact("binhai", "设备科长", "binhai-auto.cn"), age_days=420, deals=(
                     Deal("缸体线招标 Cylinder block line tender", (("QH-HMC630", 6, 8),), Stage.LOST, 160,
                          lost_reason="价格 Price — lost to a domestic competitor"),
                     Deal("刀具测头改造", (("QH-WP40", 6, 0),), Stage.LEAD, 10),
                 )),
    CustomerPlan("QH-C-006", *_company("hengtai"), "电子 Electronics", "chen.jing",
                 contact=_contact("hengtai", "生产经理", "hengtai-elec.cn"), team=("wang.fang",), age_days=380,
                 deals=(
                     Deal("CK6150 车床 × 3", (("QH-CK6150", 3, 4), ("SV-INST", 3, 0)), Stage.WON, 90,
                          billing="overdue", contract_key="contract-hengtai", second_rep="wang.fang",
                          order_number="HT-2026-022"),
                 )),
    CustomerPlan("QH-C-007", *_company("coastline"), "船舶配件 Marine parts", "li.lei",
                 contact=_contact("coastline", "技术部", "coastline-marine.cn"), age_days=260, deals=(
                     Deal("螺旋桨毂加工 Propeller hubs", (("QH-HMC630", 1, 2), ("QH-RT210", 1, 0)), Stage.NEGOTIATION,
                          35),
                 )),
    CustomerPlan("QH-C-008", *_company("orient_mould"), "模具 Moulds", "wang.fang",
                 contact=_contact("orient_mould", "总经理", "orient-mould.cn"), age_days=610, deals=(
                     Deal("VMC1160 模具加工", (("QH-VMC1160", 2, 5),), Stage.WON, 260, billing="paid",
                          order_number="OM-2025-044"),
                     Deal("VMC1160 追加一台", (("QH-VMC1160", 1, 5),), Stage.PROPOSAL, 15),
                 )),
    CustomerPlan("QH-C-009", *_company("yuanyang"), "液压件 Hydraulics", "li.lei",
                 contact=_contact("yuanyang", "采购部", "yuanyang-hyd.cn"), age_days=210, deals=(
                     Deal("阀体加工线", (("QH-VMC850", 3, 6),), Stage.LOST, 100,
                          lost_reason="Project postponed by the customer / 客户项目延期"),
                 )),
    CustomerPlan("QH-C-010", "Rhein Präzisionstechnik GmbH", "Düsseldorf", "Precision engineering", "sarah.chen",
                 currency="EUR", contact=("Jonas Weber", "Einkauf", "j.weber@rhein-praezision.de",
                                          "+49 211 7300 4410"),
                 team=("chen.jing",), age_days=330, deals=(
                     Deal("HMC630 for Düsseldorf plant", (("QH-HMC630", 1, 3), ("SV-INST", 1, 0)), Stage.WON, 75,
                          billing="invoiced", contract_key="contract-rhein", order_number="RH-2026-002"),
                 )),
    # --- more of the book: Chinese and English names, every region the reps cover ----------------
    CustomerPlan("QH-C-011", "广州粤海精工机械有限公司", "广州", "汽车零部件 Automotive parts", "sarah.chen",
                 contact=("黄志明", "设备经理", "huang.zm@yuehai-jg.cn", "+86 20 3222 1180"), age_days=280, deals=(
                     Deal("CK6150 × 2", (("QH-CK6150", 2, 3),), Stage.QUALIFICATION, 30),
                 )),
    CustomerPlan("QH-C-012", "重庆渝西齿轮有限公司", "重庆", "齿轮 Gears", "zhang.wei",
                 contact=("罗建", "生产副总", "luojian@yuxi-gear.cn", "+86 23 6588 2201"), age_days=540, deals=(
                     Deal("齿坯车削单元", (("QH-CK6150", 4, 5), ("QH-CC01", 4, 0)), Stage.WON, 180, billing="open",
                          order_number="YX-2026-009"),
                 )),
    CustomerPlan("QH-C-013", "成都天府航空零件有限公司", "成都", "航空 Aerospace", "zhang.wei", CustomerTier.KEY,
                 contact=("杨帆", "工艺总师", "yangfan@tf-aero.cn", "+86 28 8533 7720"), age_days=150, deals=(
                     Deal("五轴叶片加工", (("QH-5AX400", 2, 2),), Stage.NEGOTIATION, 45, second_rep="li.lei"),
                 ), team=("li.lei",)),
    CustomerPlan("QH-C-014", "武汉光谷激光装备有限公司", "武汉", "激光 Lasers", "chen.jing",
                 contact=("周敏", "采购", "zhoumin@ovlaser.cn", "+86 27 8766 1023"), age_days=120, deals=(
                     Deal("结构件加工中心", (("QH-VMC850", 1, 4),), Stage.LEAD, 8),
                 )),
    CustomerPlan("QH-C-015", "西安秦川液压有限公司", "西安", "液压 Hydraulics", "li.lei",
                 contact=("马涛", "设备部长", "matao@qc-hyd.cn", "+86 29 8866 5501"), age_days=700, deals=(
                     Deal("泵体加工", (("QH-VMC850", 2, 5),), Stage.LOST, 300, lost_reason="Lost to DMG Mori"),
                 ), status=CustomerStatus.LOST),
    CustomerPlan("QH-C-016", "沈阳北方机床配件厂", "沈阳", "机床配件 Machine parts", "zhang.wei",
                 contact=("刘强", "厂长", "liuqiang@bf-parts.cn", "+86 24 2388 4410"), age_days=800,
                 status=CustomerStatus.DORMANT, deals=(
                     Deal("主轴备件", (("QH-SPB-01", 10, 10),), Stage.WON, 380, billing="paid",
                          order_number="BF-2025-031"),
                 )),
    CustomerPlan("QH-C-017", "长沙湘江工程机械有限公司", "长沙", "工程机械 Construction machinery", "li.lei",
                 contact=("谭文", "技术总监", "tanwen@xj-cm.cn", "+86 731 8455 3320"), age_days=95, deals=(
                     Deal("结构件龙门", (("QH-GMC2016", 1, 5),), Stage.PROPOSAL, 20),
                 )),
    CustomerPlan("QH-C-018", "郑州中原轴承有限公司", "郑州", "轴承 Bearings", "zhang.wei",
                 contact=("王磊", "设备主管", "wanglei@zy-bearing.cn", "+86 371 6677 0921"), age_days=60, deals=(
                     Deal("套圈车削线", (("QH-CK6150", 6, 7),), Stage.QUALIFICATION, 12),
                 ), status=CustomerStatus.PROSPECT, tier=CustomerTier.PROSPECT),
    CustomerPlan("QH-C-019", "合肥江淮模塑有限公司", "合肥", "模具 Moulds", "wang.fang",
                 contact=("孙丽", "模具部", "sunli@jh-mould.cn", "+86 551 6388 7712"), age_days=240, deals=(
                     Deal("模具加工中心", (("QH-VMC1160", 1, 3), ("QH-TSC20", 1, 0)), Stage.WON, 70,
                          billing="cancelled", order_number="JH-2026-015"),
                 )),
    CustomerPlan("QH-C-020", "无锡太湖精密电子有限公司", "无锡", "电子 Electronics", "chen.jing",
                 contact=("钱程", "工程部", "qiancheng@th-pe.cn", "+86 510 8520 6633"), age_days=30, deals=(
                     Deal("外壳加工", (("QH-VMC850", 2, 4),), Stage.LEAD, 5),
                 ), status=CustomerStatus.PROSPECT, tier=CustomerTier.PROSPECT),
    CustomerPlan("QH-C-021", "东莞长安五金制品有限公司", "东莞", "五金 Hardware", "sarah.chen",
                 contact=("陈伟", "老板", "chenwei@ca-hw.cn", "+86 769 8553 1208"), age_days=460, deals=(
                     Deal("CK6150 换代", (("QH-CK6150", 2, 6),), Stage.WON, 140, billing="partly-overdue",
                          order_number="CA-2026-004"),
                 )),
    CustomerPlan("QH-C-022", "厦门海沧机电有限公司", "厦门", "机电 Mechatronics", "wang.fang",
                 contact=("林志强", "采购经理", "linzq@hc-me.cn", "+86 592 6051 3378"), age_days=190, deals=(
                     Deal("四轴转台改造", (("QH-RT210", 3, 5),), Stage.NEGOTIATION, 28),
                 )),
    CustomerPlan("QH-C-023", "佛山顺德家电配件有限公司", "佛山", "家电 Appliances", "sarah.chen",
                 contact=("何敏", "设备科", "hemin@sd-parts.cn", "+86 757 2233 8891"), age_days=360, deals=(
                     Deal("冲压模具加工", (("QH-VMC850", 2, 5),), Stage.LOST, 130,
                          lost_reason="价格 Price — 8% above the competitor"),
                 )),
    CustomerPlan("QH-C-024", "Stuttgart Antriebstechnik AG", "Stuttgart", "Drive technology", "sarah.chen",
                 currency="EUR", contact=("Anna Keller", "Technische Einkäuferin", "a.keller@st-antrieb.de",
                                          "+49 711 400 2210"), age_days=210, deals=(
                     Deal("Gear housing cell", (("QH-HMC630", 2, 4),), Stage.PROPOSAL, 33),
                 )),
    CustomerPlan("QH-C-025", "Milano Stampi S.r.l.", "Milano", "Moulds", "sarah.chen", currency="EUR",
                 contact=("Luca Bianchi", "Direttore tecnico", "l.bianchi@milanostampi.it", "+39 02 8943 1120"),
                 age_days=140, deals=(
                     Deal("VMC1160 for mould shop", (("QH-VMC1160", 1, 2),), Stage.QUALIFICATION, 22),
                 )),
    CustomerPlan("QH-C-026", "Osaka Seimitsu Kogyo K.K.", "Osaka", "Precision parts", "chen.jing", currency="USD",
                 contact=("Kenji Tanaka", "Purchasing", "k.tanaka@osaka-seimitsu.jp", "+81 6 6344 2271"),
                 age_days=80, deals=(
                     Deal("Probe retrofit", (("QH-WP40", 4, 0),), Stage.WON, 60, billing="invoiced",
                          order_number="OS-2026-003"),
                 )),
    CustomerPlan("QH-C-027", "Chennai Auto Components Pvt. Ltd.", "Chennai", "Automotive parts", "sarah.chen",
                 currency="USD", contact=("Priya Raman", "Plant head", "priya.raman@chennai-ac.in",
                                          "+91 44 2815 6630"), age_days=170, deals=(
                     Deal("Brake disc turning line", (("QH-CK6150", 8, 9),), Stage.LOST, 110,
                          lost_reason="Budget cut / 预算取消"),
                 )),
    CustomerPlan("QH-C-028", "Bangkok Precision Moulding Co., Ltd.", "Bangkok", "Moulds", "sarah.chen",
                 currency="USD", contact=("Somchai Wong", "Managing director", "somchai@bkk-pm.co.th",
                                          "+66 2 316 8820"), age_days=45, deals=(
                     Deal("Mould base machining", (("QH-VMC850", 1, 3),), Stage.LEAD, 14),
                 )),
    CustomerPlan("QH-C-029", "Monterrey Industrial de Precisión S.A.", "Monterrey", "Automotive parts",
                 "sarah.chen", currency="USD",
                 contact=("Carlos Ramírez", "Gerente de planta", "c.ramirez@mip.mx", "+52 81 8345 2290"),
                 age_days=230, deals=(
                     Deal("Knuckle machining", (("QH-HMC630", 2, 5),), Stage.NEGOTIATION, 50),
                 )),
    CustomerPlan("QH-C-030", "天津港保税区重工机械有限公司", "天津", "重型机械 Heavy machinery", "li.lei",
                 contact=("赵刚", "设备部", "zhaogang@tjbs-hm.cn", "+86 22 2576 3380"), age_days=520, deals=(
                     Deal("年度维保", (("SV-AMC", 4, 0),), Stage.WON, 210, billing="paid",
                          order_number="TJ-2025-077"),
                 )),
    CustomerPlan("QH-C-031", "青岛海尔特种钢板有限公司", "青岛", "钢材 Steel", "li.lei",
                 contact=("于洋", "设备处", "yuyang@qd-steel.cn", "+86 532 8876 2210"), age_days=100, deals=(
                     Deal("龙门铣改造", (("QH-GMC2016", 1, 4),), Stage.PROPOSAL, 18, second_rep="zhang.wei"),
                 ), team=("zhang.wei",)),
    CustomerPlan("QH-C-032", "苏州新区精密钣金有限公司", "苏州", "钣金 Sheet metal", "chen.jing",
                 contact=("许静", "总经理助理", "xujing@sz-sm.cn", "+86 512 6665 0098"), age_days=260, deals=(
                     Deal("钣金件夹具加工", (("QH-VMC850", 1, 5), ("QH-CC01", 1, 0)), Stage.WON, 50, billing="open",
                          order_number="SZ-2026-019"),
                 )),
)

SPARE_PARTS: tuple[tuple[str, str, Decimal], ...] = (
    ("QH-SPB-01", "主轴轴承组件 Spindle bearing kit (BT40)", Decimal("8600")),
    ("QH-SRV-22", "伺服电机 Servo motor αiF 22/3000", Decimal("12800")),
    ("QH-BS-4010", "滚珠丝杠 Ball screw 40×10", Decimal("3200")),
    ("QH-TD-08", "8 工位刀盘 8-station turret disc", Decimal("5400")),
)


@dataclass(frozen=True)
class ServicePlan:
    customer: str  # customer code
    title: str
    type: str
    priority: str
    state: str
    product: str
    description: str
    resolution: str = ""
    satisfaction: int | None = None
    engineer: str = "tom.becker"
    opened_by: str = ""  # the customer's owner when empty
    days_ago: int = 30
    hours: tuple[int, int, int, int] = (2, 6, 48, 72)  # dispatch, confirm, resolve, close after opening


SERVICE: tuple[ServicePlan, ...] = (
    ServicePlan(MARKER_CODE, "VMC850 主轴异响 Spindle noise above 8000 rpm", "issue", "high", DispatchState.CLOSED,
                "QH-VMC850", "客户反映 2 号机主轴在 8000 rpm 以上有异响。",
                "更换主轴前轴承并重新预紧；空运转 4 小时无异常。Replaced the front spindle bearing.", 5,
                days_ago=75, hours=(1, 3, 30, 50)),
    ServicePlan("QH-C-006", "CK6150 加工尺寸超差 Diameter out of tolerance", "complaint", "urgent",
                DispatchState.RESOLVED, "QH-CK6150", "批量零件外径超差 0.02 mm，客户要求现场处理。",
                "X 轴反向间隙补偿参数丢失，已重新测量并写入；首件合格。Backlash compensation restored.", 3,
                days_ago=20, hours=(2, 8, 52, 0)),
    ServicePlan("QH-C-004", "GMC2016 年度保养 Annual maintenance", "maintenance", "normal", DispatchState.CONFIRMED,
                "QH-GMC2016", "按维保合同执行年度保养：导轨润滑、丝杠检查、精度复测。", engineer="liu.yang",
                days_ago=6, hours=(4, 20, 0, 0)),
    ServicePlan("QH-C-002", "Probe calibration drift", "issue", "normal", DispatchState.DISPATCHED, "QH-WP40",
                "The workpiece probe reads 0.01 mm high after tool changes.", days_ago=2, hours=(5, 0, 0, 0)),
    ServicePlan("QH-C-008", "回访：VMC1160 使用情况 Follow-up visit", "follow_up", "low",
                DispatchState.NOT_DISPATCHED, "QH-VMC1160", "交付 6 个月回访，了解使用情况和培训需求。", days_ago=1),
    ServicePlan("QH-C-021", "设备交付延期投诉 Complaint about late delivery", "complaint", "high",
                DispatchState.CLOSED, "QH-CK6150", "客户投诉第二台车床交付延期两周。",
                "已协调物流并赠送一次免费保养；客户接受。Expedited shipping and a free service visit.", 2,
                engineer="liu.yang", days_ago=55, hours=(3, 6, 100, 120)),
    ServicePlan("QH-C-010", "HMC630 commissioning support", "maintenance", "normal", DispatchState.RESOLVED,
                "QH-HMC630", "Remote support for the first-part run in Düsseldorf.",
                "Pallet changer alignment corrected remotely; first part within tolerance.", 4, days_ago=12,
                hours=(1, 2, 20, 0)),
    ServicePlan("QH-C-030", "季度保养 Quarterly maintenance", "maintenance", "normal", DispatchState.CLOSED,
                "SV-AMC", "维保合同第 2 季度保养。", "完成保养清单 24 项；更换润滑油。Checklist completed.", 4,
                days_ago=40, hours=(24, 26, 30, 34)),
    ServicePlan("QH-C-012", "刀塔换刀卡滞 Turret indexing jams", "issue", "urgent", DispatchState.DISPATCHED,
                "QH-CK6150", "8 工位刀塔偶发换刀卡滞，报警 1012。", engineer="liu.yang", days_ago=1, hours=(1, 0, 0, 0)),
    ServicePlan("QH-C-016", "备件质量投诉 Spare part quality complaint", "complaint", "normal",
                DispatchState.NOT_DISPATCHED, "QH-SPB-01", "客户称轴承组件包装破损，要求更换。", days_ago=3),
)


@dataclass(frozen=True)
class ArticlePlan:
    title: str
    body: str
    product: str
    visibility: str
    author: str
    publish: bool = True


ARTICLES: tuple[ArticlePlan, ...] = (
    ArticlePlan("主轴异响的排查步骤 Diagnosing spindle noise",
                "1. 记录出现异响的转速区间。\n2. 检查拉刀机构与刀柄清洁。\n3. 测量主轴振动值，超过 2.8 mm/s 需更换轴承。\n\n"
                "1. Note the speed band. 2. Check the drawbar and holder. 3. Measure vibration; above 2.8 mm/s "
                "replace the bearings.", "QH-VMC850", "internal", "liu.yang"),
    ArticlePlan("Calibrating the QH-WP40 workpiece probe",
                "Run the calibration cycle O9801 with the ring gauge after every stylus change. Check the "
                "probe's battery if readings drift by more than 0.005 mm.", "QH-WP40", "portal", "tom.becker"),
    ArticlePlan("CK6150 日常保养清单 Daily care for the CK6150",
                "每班：清理切屑、检查润滑油位、检查卡盘压力。每周：清洁冷却液过滤网。\n\nEvery shift: chips, oil level, "
                "chuck pressure. Weekly: coolant filter.", "QH-CK6150", "portal", "liu.yang"),
    ArticlePlan("报警 1012：刀塔换刀超时 Alarm 1012: turret index timeout",
                "检查刀塔锁紧接近开关和液压压力（≥ 3 MPa）。草稿：待补充电气图。", "QH-TD-08", "internal", "tom.becker",
                publish=False),
)


@dataclass(frozen=True)
class ActivityPlan:
    customer: str
    who: str
    kind: str
    subject: str
    days: int  # occurred this many days ago (or, for reminders, due in this many days; negative = overdue)
    done: bool = False


ACTIVITIES: tuple[ActivityPlan, ...] = (
    ActivityPlan(MARKER_CODE, "wang.fang", "visit", "现场拜访周建国，讨论二期卧加需求", 12),
    ActivityPlan(MARKER_CODE, "sarah.chen", "email", "Sent the HMC630 layout drawing", 9),
    ActivityPlan(MARKER_CODE, "wang.fang", "reminder", "跟进二期报价审批", 3),
    ActivityPlan("QH-C-002", "sarah.chen", "call", "Call with Grace Chan about the probe drift", 2),
    ActivityPlan("QH-C-002", "sarah.chen", "reminder", "Confirm the balance payment date", -4),
    ActivityPlan("QH-C-003", "chen.jing", "note", "框架协议需法务审核付款条款", 7),
    ActivityPlan("QH-C-003", "chen.jing", "reminder", "提交备件框架报价", 5),
    ActivityPlan("QH-C-004", "zhang.wei", "visit", "拜访马振华总工：龙门二号机立项", 18),
    ActivityPlan("QH-C-005", "li.lei", "call", "招标结果沟通：价格差 6%", 40),
    ActivityPlan("QH-C-006", "chen.jing", "reminder", "催收逾期发票 Chase the overdue invoice", -2),
    ActivityPlan("QH-C-007", "li.lei", "visit", "Propeller hub trial cut at the customer", 15),
    ActivityPlan("QH-C-010", "sarah.chen", "email", "Sent the acceptance protocol to Jonas Weber", 6),
    ActivityPlan("QH-C-013", "zhang.wei", "reminder", "五轴叶片试切方案评审", 1),
    ActivityPlan("QH-C-013", "li.lei", "call", "与杨帆确认试切材料", 4),
    ActivityPlan("QH-C-021", "sarah.chen", "reminder", "Collect the retention payment", -10),
    ActivityPlan("QH-C-022", "wang.fang", "reminder", "转台报价二次谈判", 7),
    ActivityPlan("QH-C-029", "sarah.chen", "reminder", "Send the revised knuckle quote", -1, done=True),
    ActivityPlan("QH-C-031", "li.lei", "note", "客户倾向于改造而非新购", 9),
)
