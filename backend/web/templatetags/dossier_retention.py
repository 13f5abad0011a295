"""The document page's retention panel: when the document may be disposed of and why, and (for product
material) which product it describes — for whoever may change the document, and compliance."""

from __future__ import annotations

from django import template

from backend.access.policy.retention import may_set_retention_product
from backend.documents.models import DocumentKind
from backend.documents.selectors_retention import retention_for_document

register = template.Library()


@register.inclusion_tag("web/partials/retention_panel.html", takes_context=True)
def retention_panel(context, document):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not may_set_retention_product(user, document):
        return {"show": False}
    return {"show": True, "document": document, "row": retention_for_document(user=user, document=document),
            "product_material": document.kind == DocumentKind.PRODUCT_MATERIAL,
            "csrf_token": context.get("csrf_token")}
