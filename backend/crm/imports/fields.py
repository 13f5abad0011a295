"""What each kind of record takes from a file, and which column is which: guessed from the headers
(English or Chinese, any case, full- or half-width), changed by the person importing."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from backend.crm.imports.cleaning import name_key
from backend.crm.models import ImportEntity


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    required: bool = False
    synonyms: tuple[str, ...] = ()


_CUSTOMER_REF = (
    Field("customer", _("Customer"), True, ("customer", "customer name", "company", "客户", "客户名称", "公司", "公司名称")),
    Field("customer_code", _("Customer code or tax id"), False, ("customer code", "tax id", "客户编号", "税号", "统一社会信用代码")),
    Field("region", _("Region"), False, ("region", "area", "地区", "区域", "省份")),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    ImportEntity.CUSTOMER: (
        Field("name", _("Name"), True, ("name", "customer", "customer name", "company", "客户", "客户名称", "公司名称", "名称")),
        Field("region", _("Region"), False, ("region", "area", "地区", "区域", "省份")),
        Field("code", _("Customer code or tax id"), False, ("code", "customer code", "tax id", "vat", "客户编号", "编码", "税号", "统一社会信用代码")),
        Field("industry", _("Industry"), False, ("industry", "sector", "行业")),
        Field("tier", _("Tier"), False, ("tier", "grade", "level", "客户等级", "等级", "级别")),
        Field("status", _("Status"), False, ("status", "state", "状态", "客户状态")),
        Field("owner", _("Owner"), False, ("owner", "sales rep", "rep", "account manager", "负责人", "销售", "客户经理", "业务员")),
        Field("contact_name", _("Contact"), False, ("contact", "contact name", "联系人", "联系人姓名")),
        Field("contact_title", _("Contact's title"), False, ("contact title", "position", "job title", "职务", "职位")),
        Field("phone", _("Phone"), False, ("phone", "telephone", "mobile", "tel", "电话", "手机", "联系电话", "手机号")),
        Field("email", _("E-mail"), False, ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱")),
    ),
    ImportEntity.CONTACT: _CUSTOMER_REF + (
        Field("name", _("Name"), True, ("name", "contact", "contact name", "姓名", "联系人", "联系人姓名")),
        Field("title", _("Title"), False, ("title", "position", "job title", "职务", "职位")),
        Field("phone", _("Phone"), False, ("phone", "telephone", "mobile", "tel", "电话", "手机", "联系电话", "手机号")),
        Field("email", _("E-mail"), False, ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱")),
    ),
    ImportEntity.PRODUCT: (
        Field("code", _("Product code"), True, ("code", "product code", "sku", "item", "产品编号", "编码", "型号", "物料编码")),
        Field("name", _("Chinese name"), True, ("name", "product", "chinese name", "名称", "产品名称", "中文名称")),
        Field("name_en", _("English name"), False, ("english name", "name en", "name_en", "英文名称")),
        Field("list_price", _("List price"), True, ("list price", "price", "unit price", "价格", "单价", "标准价", "目录价")),
        Field("floor_price", _("Floor price"), False, ("floor price", "minimum price", "最低价", "底价")),
        Field("currency", _("Currency"), False, ("currency", "币种", "货币")),
        Field("description", _("Description"), False, ("description", "notes", "描述", "说明", "备注")),
    ),
    ImportEntity.OPPORTUNITY: _CUSTOMER_REF + (
        Field("title", _("Title"), True, ("title", "opportunity", "deal", "project", "商机", "商机名称", "项目", "项目名称")),
        Field("amount", _("Amount"), False, ("amount", "value", "金额", "预计金额")),
        Field("currency", _("Currency"), False, ("currency", "币种", "货币")),
        Field("stage", _("Stage"), False, ("stage", "阶段", "销售阶段")),
        Field("expected_close", _("Expected close"), False, ("expected close", "close date", "预计成交日期", "预计签约日期")),
        Field("owner", _("Owner"), False, ("owner", "sales rep", "rep", "负责人", "销售", "业务员")),
    ),
}

RECORD_ENTITIES = (ImportEntity.CUSTOMER, ImportEntity.CONTACT, ImportEntity.PRODUCT, ImportEntity.OPPORTUNITY)


def fields_of(entity: str) -> tuple[Field, ...]:
    return FIELDS[entity]


def guess_mapping(entity: str, headers: list[str]) -> dict[str, int]:
    """field name -> column index, for the headers that name a field (the first column naming it wins)."""
    keys = [name_key(header) for header in headers]
    mapping: dict[str, int] = {}
    for field in fields_of(entity):
        names = {name_key(field.name)} | {name_key(synonym) for synonym in field.synonyms}
        for index, key in enumerate(keys):
            if key in names and index not in mapping.values():
                mapping[field.name] = index
                break
    return mapping


def missing_required(entity: str, mapping: dict[str, int]) -> list[str]:
    return [field.name for field in fields_of(entity) if field.required and field.name not in mapping]
