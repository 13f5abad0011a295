"""Product material: brochures, the specification sheet, a model comparison, the installation guide."""

from __future__ import annotations

from collections.abc import Sequence

from demo.files.body import MARKINGS, Body, Bullets, Heading, Para, Table
from demo.files.office import Column, Sheet, render_xlsx
from demo.world import PRODUCTS, SELLER, Product


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
