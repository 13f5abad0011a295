"""What the people reading the trail see for an event's target: a translated type name and a label.

Events store `target_type` as the model's label ("crm.activity") and `target_label` as str(target)
when they were recorded. Neither code is shown to readers: the type has a translated name here, and
a label that is only Django's default ("Activity object (3)", from a model without __str__, before
that was fixed) is replaced by the type's name and the id.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.utils.translation import gettext_lazy as _

TARGET_TYPE_LABELS = {
    "documents.document": _("Document"),
    "documents.documentversion": _("Document version"),
    "documents.selection": _("Document selection"),  # a bulk action's documents
    "documents.documentshare": _("Document share"),  # the model's label before it moved to sharing
    "sharing.documentshare": _("Document share"),
    "crm.customer": _("Customer"),
    "crm.contact": _("Contact"),
    "crm.opportunity": _("Opportunity"),
    "crm.quote": _("Quote"),
    "crm.order": _("Order"),
    "crm.invoice": _("Invoice"),
    "crm.payment": _("Payment"),
    "crm.product": _("Product"),
    "crm.servicerecord": _("Service record"),
    "crm.serviceleveltarget": _("Service levels"),
    "crm.serviceattachment": _("Service attachment"),
    "crm.knowledgearticle": _("Knowledge article"),
    "crm.announcement": _("Announcement"),
    "crm.activity": _("Activity"),
    "crm.documentlink": _("Document link"),
    "crm.report": _("Report"),
    "crm.campaign": _("Campaign"),
    "crm.lead": _("Lead"),
    "crm.expense": _("Expense"),
    "accounts.user": _("User"),
    "accounts.portalaccount": _("Portal account"),  # before the portal accounts moved to sharing
    "accounts.portalinvitation": _("Portal invitation"),
    "sharing.portalaccount": _("Portal account"),
    "sharing.portalinvitation": _("Portal invitation"),
    "audit.auditevent": _("Audit log"),
    "search.index": _("Search index"),
    "search.query": _("Search query"),
    "ops.backup": _("Backup"),
}

# Django's Model.__str__ when a model defines none: "<ClassName> object (<pk>)".
_DEFAULT_STR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]* object \([^)]*\)$")


def target_type_label(target_type: str) -> str:
    """The translated name of a target type; the model's verbose name for a type not listed here."""
    if not target_type:
        return ""
    label = TARGET_TYPE_LABELS.get(target_type)
    if label is not None:
        return str(label)
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    return str(model._meta.verbose_name).capitalize()


def meaningful_label(target_label: str) -> str:
    """The stored label, or "" when it says nothing (empty, or Django's "Activity object (3)")."""
    label = (target_label or "").strip()
    return "" if _DEFAULT_STR.match(label) else label


def target_display(target_type: str, target_id: str, target_label: str) -> str:
    """The target as a reader should see it: its label, or "<type name> #<id>" when the label says nothing."""
    label = meaningful_label(target_label)
    if label:
        return label
    name = target_type_label(target_type)
    if not name:
        return ""
    return f"{name} #{target_id}" if target_id else name
