"""The service department's documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.contracts import service_agreement
from demo.compose.products import installation_guide
from demo.compose.reports import maintenance_checklist, service_report
from demo.files.body import MARKINGS
from demo.people import person_name
from demo.plan.documents import Approval, DocumentPlan, Draw, VersionPlan, as_csv, as_docx, as_text
from demo.world import CUSTOMERS


def service_documents(draw: Draw) -> list[DocumentPlan]:
    """The installation guide, a maintenance contract, a service report, the year's service log, a checklist."""
    plans: list[DocumentPlan] = []
    add = plans.append
    huadong, hengtai, rhein = CUSTOMERS["huadong"], CUSTOMERS["hengtai"], CUSTOMERS["rhein"]
    add(DocumentPlan(
        key="install-guide", kind=K.PRODUCT_MATERIAL, classification=CL.INTERNAL, owner="liu.yang",
        title="安装调试指南 QH-VMC 系列 Installation guide", tags=("安装调试", "QH-VMC850", "QH-VMC1160"),
        versions=(VersionPlan("安装调试指南_VMC.docx", as_docx(installation_guide(
            author="liu.yang", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    add(DocumentPlan(
        key="service-agreement-huadong", kind=K.CONTRACT, classification=CL.INTERNAL, owner="liu.yang",
        title=f"年度维保服务合同 {huadong.zh}", tags=("维保", huadong.zh),
        versions=(VersionPlan("维保合同_SV-2026-008_上海华东精密.docx", as_docx(service_agreement(
            number="SV-2026-008", customer=huadong, machines=(("QH-VMC850", 6), ("QH-CK6150", 2)),
            fee=Decimal(draw.quantity(9, 12) * 10000), start=dt.date(2026, 1, 1), author="liu.yang",
            marking=MARKINGS[CL.INTERNAL])),
            approve=Approval("admin", valid_days=365)),),
    ))
    add(DocumentPlan(
        key="service-report-hengtai", kind=K.OTHER, classification=CL.INTERNAL, owner="liu.yang",
        title=f"售后服务报告 SR-2026-0412 {hengtai.zh} 主轴异响", tags=("售后服务", hengtai.zh, "QH-VMC850"),
        versions=(VersionPlan("售后服务报告_SR-2026-0412.docx", as_docx(service_report(
            number="SR-2026-0412", customer=hengtai, machine="QH-VMC850", serial="VMC850-2403-117",
            reported_on=draw.day(4, 4), engineer=person_name("liu.yang"), author="liu.yang",
            marking=MARKINGS[CL.INTERNAL]))),),
    ))
    issues = ("主轴异响 spindle noise", "换刀卡刀 tool change jam", "X 轴回零报警 X home alarm", "冷却泵不出水 coolant pump",
              "定期保养 scheduled maintenance", "精度复检 accuracy check", "系统参数丢失 parameter loss",
              "润滑报警 lubrication alarm")
    engineers = (person_name("liu.yang"), "Tom Becker", "孟凡", "郭晓东")
    machines = ("QH-VMC850", "QH-VMC1160", "QH-CK6150", "QH-HMC630")
    log = [("工单号 Ticket", "日期 Date", "客户 Customer", "设备 Machine", "问题 Issue", "工程师 Engineer",
            "工时 Hours", "状态 Status")]
    tickets = sorted(
        (draw.day(1, 10), draw.choice([cust.zh for cust in CUSTOMERS.values() if cust is not rhein]),
         draw.choice(machines), draw.choice(issues), draw.choice(engineers), str(draw.quantity(2, 16)),
         draw.choice(("已关闭 closed", "已关闭 closed", "已关闭 closed", "待备件 waiting for parts", "处理中 open")))
        for _ in range(24)
    )
    for number, (day, *rest) in enumerate(tickets, start=1):
        log.append((f"SR-2026-{300 + number * 7:04d}", day.isoformat(), *rest))
    add(DocumentPlan(
        key="service-log-2026", kind=K.OTHER, classification=CL.INTERNAL, owner="tom.becker",
        title="售后服务记录 2026 Service log", tags=("售后服务", "service log"),
        versions=(VersionPlan("service_log_2026.csv", as_csv(log)),),
    ))
    add(DocumentPlan(
        key="maintenance-checklist", kind=K.OTHER, classification=CL.INTERNAL, owner="tom.becker",
        title="Preventive maintenance checklist — QH-VMC series", tags=("maintenance", "QH-VMC850"),
        versions=(VersionPlan("PM_checklist_VMC.txt", as_text(maintenance_checklist(
            author="tom.becker", marking=MARKINGS[CL.INTERNAL]))),),
    ))
    return plans
