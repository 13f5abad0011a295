"""The document page's retention panel: when the document may be disposed of and why, and (for product
material) which product it describes — for whoever may change the document, and compliance."""

from __future__ import annotations

from django import template

from backend.access.policy.retention import may_set_retention_product
from backend.documents.models import DocumentKind
from backend.documents.selectors_retention import retention_for_document

register = template.Library()


@register.inclusion_tag("web/partials/retention_panel.html", takes_context=True)
def retention_panel(context, document, may_change=None):
    """`may_change`: the page's own answer to "may this user change the document" (the policy's, asked once
    for the whole page), so the panel does not ask the database again; None asks."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not may_set_retention_product(user, document, may_change=may_change):
        return {"show": False}
    allowed = True  # just decided above: the selector need not ask again
    return {"show": True, "document": document,
            "row": retention_for_document(user=user, document=document, may_change=allowed),
            "product_material": document.kind == DocumentKind.PRODUCT_MATERIAL,
            "csrf_token": context.get("csrf_token")}
