"""The demo company's departments and people, and the one password they all sign in with."""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts.models import Role

DEMO_PASSWORD = "dossier-demo"


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str


@dataclass(frozen=True)
class PersonSpec:
    username: str
    display_name: str
    role: str
    department: str
    job: str
    language: str = "zh-hans"

    @property
    def email(self) -> str:
        return f"{self.username}@qiheng.example"


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec("sales-east", "Sales East (华东销售部)"),
    DepartmentSpec("sales-north", "Sales North (华北销售部)"),
    DepartmentSpec("service", "Service (售后服务部)"),
    DepartmentSpec("compliance", "Compliance (合规部)"),
    DepartmentSpec("management", "Management (管理层)"),
)

PEOPLE: tuple[PersonSpec, ...] = (
    PersonSpec("admin", "吴磊 Wu Lei", Role.ADMIN, "management", "IT administrator / 系统管理员"),
    PersonSpec("sun.hao", "孙浩", Role.STAFF, "management", "General manager / 总经理"),
    PersonSpec("david.liu", "David Liu", Role.STAFF, "management", "Finance controller / 财务总监", language="en"),
    PersonSpec("zhou.ting", "周婷", Role.STAFF, "management", "Marketing / 市场专员"),
    PersonSpec("wang.fang", "王芳", Role.SALES, "sales-east", "Key account manager / 大客户经理"),
    PersonSpec("sarah.chen", "Sarah Chen", Role.SALES, "sales-east", "Export sales / 外贸销售", language="en"),
    PersonSpec("chen.jing", "陈静", Role.SALES, "sales-east", "Sales engineer / 销售工程师"),
    PersonSpec("zhang.wei", "张伟", Role.SALES, "sales-north", "Regional sales manager / 区域销售经理"),
    PersonSpec("li.lei", "李雷", Role.SALES, "sales-north", "Sales engineer / 销售工程师"),
    PersonSpec("liu.yang", "刘洋", Role.SERVICE, "service", "Service manager / 服务经理"),
    PersonSpec("tom.becker", "Tom Becker", Role.SERVICE, "service", "Field service engineer", language="en"),
    PersonSpec("compliance", "赵静 Zhao Jing", Role.COMPLIANCE, "compliance", "Compliance officer / 合规官"),
    PersonSpec("emma.wright", "Emma Wright", Role.COMPLIANCE, "compliance", "Export control / 出口管制", language="en"),
)
PEOPLE_BY_USERNAME = {person.username: person for person in PEOPLE}
DEPARTMENT_NAMES = {spec.code: spec.name for spec in DEPARTMENTS}


def person_name(username: str) -> str:
    return PEOPLE_BY_USERNAME[username].display_name


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(username, name, role, department) of every demo user."""
    return [
        (person.username, person.display_name, Role(person.role).label, DEPARTMENT_NAMES[person.department])
        for person in PEOPLE
    ]
