"""The document page's legal hold panel: whether a hold keeps the document (for everyone who sees it),
the holds by name and a link to place one (for compliance)."""

from __future__ import annotations

from django import template

from backend.access.policy.trash import may_manage_legal_holds
from backend.documents.holds import holds_on_document

register = template.Library()


@register.inclusion_tag("web/partials/legal_hold_panel.html", takes_context=True)
def legal_hold_panel(context, document):
    request = context.get("request")
    user = getattr(request, "user", None)
    compliance = user is not None and may_manage_legal_holds(user)
    holds = holds_on_document(document)
    return {"show": bool(holds) or compliance, "document": document, "holds": holds, "compliance": compliance}
