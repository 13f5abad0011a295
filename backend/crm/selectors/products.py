"""Reads of the product catalogue: every member of staff sees it (the policy's product rule), in code order."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.crm.models import Product

ACTIVE, RETIRED, ALL = "active", "retired", "all"


def product_list_visible(*, user, q: str = "", state: str = ACTIVE, action: Action = Action.VIEW) -> QuerySet:
    """Products `user` may `action`, by code; `q` is part of the code or of either name; `state` is
    "active" (what new quotes may use), "retired" or "all"."""
    queryset = visible(user, Product.objects.all(), action)
    if state == ACTIVE:
        queryset = queryset.filter(active=True)
    elif state == RETIRED:
        queryset = queryset.filter(active=False)
    q = (q or "").strip()[:100]
    if q:
        queryset = queryset.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    return queryset.order_by("code", "id")


def product_get_visible(*, user, product_id: int, action: Action = Action.VIEW) -> Product:
    """The product if `user` may `action` it; NotFound otherwise (missing or not)."""
    product = visible(user, Product.objects.all(), action).filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    return product
