"""The product catalogue: what quotes, orders, service records and articles refer to."""

from __future__ import annotations

from django.db import transaction

from backend.access.policy.crm import may_create_products
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound
from backend.crm.audit_events import CRM_PRODUCT_CREATED
from backend.crm.models import Currency, Product
from backend.crm.services.common import money


def product_create(
    *,
    actor,
    code: str,
    name: str,
    list_price,
    currency: str = Currency.CNY,
    description: str = "",
) -> Product:
    """Add a product to the catalogue (administrators only; everyone else gets a 404)."""
    if not may_create_products(actor):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        errors["code"] = ["A product code is required."]
    elif Product.objects.filter(code=code).exists():
        errors["code"] = ["A product with this code exists already."]
    if not name:
        errors["name"] = ["A name is required."]
    if currency not in Currency.values:
        errors["currency"] = [f"Choose one of: {', '.join(Currency.values)}."]
    if errors:
        raise InvalidInput("The product is invalid.", fields=errors)
    price = money(list_price, field="list_price")
    with transaction.atomic():
        product = Product.objects.create(code=code, name=name[:200], list_price=price, currency=currency,
                                         description=description or "")
        audit.record(CRM_PRODUCT_CREATED, actor=actor, target=product,
                     detail={"code": code, "list_price": str(price), "currency": currency})
    return product
