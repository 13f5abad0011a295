"""Service, compliance and internal documents: reports, reviews, minutes, checklists, the demo guide."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from demo.compose.formats import en_date, zh_date
from demo.files.body import MARKINGS, Body, Bullets, Fields, Heading, Para, Signatures, Table
from demo.files.office import Column, Sheet, render_xlsx
from demo.world import Company


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
