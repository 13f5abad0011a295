"""The product catalogue: what quotes, orders, service records and articles refer to.

Who may add and change products is the policy's rule (`may_edit_product_catalogue`, the roles in
PRODUCT_CATALOGUE_ROLES); everyone else is told the product is not there. Every write is audited in its
own transaction. A product is never deleted (quotes and orders name it): it is retired (`active=False`),
which keeps it on old quotes and out of the picker for new ones.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.access.policy import Action
from backend.access.policy.crm import may_edit_product_catalogue
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound
from backend.crm.audit_events import CRM_ACCESS_DENIED, CRM_PRODUCT_CREATED, CRM_PRODUCT_UPDATED
from backend.crm.models import Currency, Product
from backend.crm.services.common import money, require_editable

CODE_LENGTH = 40
NAME_LENGTH = 200
EDITABLE = ("code", "name", "name_en", "description", "list_price", "floor_price", "currency", "active")

# The sentences below reach people through backend/ui/errors.py, translated (the catalogue has them).
MESSAGES = (
    gettext_noop("A product code is required."),
    gettext_noop("A product with this code exists already."),
    gettext_noop("A name is required."),
    gettext_noop("At most 40 characters."),
    gettext_noop("At most 200 characters."),
    gettext_noop("Choose a currency."),
    gettext_noop("The floor price must not be above the list price."),
    gettext_noop("The product is invalid."),
)


def _deny_catalogue(actor) -> NotFound:
    """The catalogue's editors only; everyone else is told it is not there (and the refusal is audited)."""
    audit.record(CRM_ACCESS_DENIED, actor=actor if getattr(actor, "is_authenticated", False) else None,
                 outcome="denied", target_type="crm.product", detail={"action": "create"})
    return NotFound()


def _text(value, *, field: str, limit: int, required: str | None, errors: dict) -> str:
    text = " ".join(str(value or "").split())
    if not text and required:
        errors[field] = [required]
    elif len(text) > limit:
        errors[field] = [f"At most {limit} characters."]
    return text


def _clean(fields: dict, *, current: Product | None) -> dict:
    """The cleaned values of `fields` (a product's new values, or the changed ones of `current`); one
    InvalidInput naming every wrong field, so a form can show them all at once."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if "code" in fields:
        code = _text(fields["code"], field="code", limit=CODE_LENGTH, required="A product code is required.",
                     errors=errors)
        clash = Product.objects.filter(code__iexact=code)
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if code and "code" not in errors and clash.exists():
            errors["code"] = ["A product with this code exists already."]
        clean["code"] = code
    if "name" in fields:
        clean["name"] = _text(fields["name"], field="name", limit=NAME_LENGTH, required="A name is required.",
                              errors=errors)
    if "name_en" in fields:
        clean["name_en"] = _text(fields["name_en"], field="name_en", limit=NAME_LENGTH, required=None, errors=errors)
    if "description" in fields:
        clean["description"] = str(fields["description"] or "").strip()
    if "currency" in fields:
        if fields["currency"] not in Currency.values:
            errors["currency"] = ["Choose a currency."]
        clean["currency"] = fields["currency"]
    if "active" in fields:
        clean["active"] = bool(fields["active"])
    for field in ("list_price", "floor_price"):
        if field not in fields:
            continue
        value = fields[field]
        if field == "floor_price" and (value is None or str(value).strip() == ""):
            clean[field] = None
            continue
        try:
            clean[field] = money(value, field=field)
        except InvalidInput as error:
            errors.update(error.extra.get("fields") or {field: [str(error)]})
    list_price = clean.get("list_price", getattr(current, "list_price", None))
    floor_price = clean.get("floor_price", getattr(current, "floor_price", None))
    if ("list_price" in clean or "floor_price" in clean) and not {"list_price", "floor_price"} & set(errors):
        if floor_price is not None and list_price is not None and floor_price > list_price:
            errors["floor_price"] = ["The floor price must not be above the list price."]
    if errors:
        raise InvalidInput("The product is invalid.", fields=errors)
    return clean


def product_create(
    *,
    actor,
    code: str,
    name: str,
    list_price,
    currency: str = Currency.CNY,
    description: str = "",
    name_en: str = "",
    floor_price=None,
    active: bool = True,
) -> Product:
    """Add a product to the catalogue (its editors only; everyone else gets a 404)."""
    if not may_edit_product_catalogue(actor):
        raise _deny_catalogue(actor)
    fields = _clean({"code": code, "name": name, "name_en": name_en, "description": description,
                     "list_price": list_price, "floor_price": floor_price, "currency": currency, "active": active},
                    current=None)
    with transaction.atomic():
        product = Product.objects.create(**fields)
        audit.record(CRM_PRODUCT_CREATED, actor=actor, target=product, detail=_detail(fields))
    return product


def product_update(*, actor, product: Product, **changes) -> Product:
    """Change a product's code, names, prices, currency or availability. Only what differs is written and
    audited (as [old, new] per field); nothing changes when any field is wrong."""
    require_editable(changes, EDITABLE)
    require(actor=actor, action=Action.CHANGE, obj=product)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        fields = _clean(changes, current=locked)
        diff = {field: [getattr(locked, field), value] for field, value in fields.items()
                if getattr(locked, field) != value}
        if diff:
            for field, (_, value) in diff.items():
                setattr(locked, field, value)
            locked.updated_at = timezone.now()
            locked.save()
            audit.record(CRM_PRODUCT_UPDATED, actor=actor, target=locked,
                         detail={"code": locked.code, "changes": _detail(diff)})
    return locked


def _detail(values: dict) -> dict:
    """JSON-safe audit detail: amounts as strings."""
    def safe(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, list):
            return [safe(item) for item in value]
        return value
    return {key: safe(value) for key, value in values.items()}
