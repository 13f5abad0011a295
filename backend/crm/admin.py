"""The CRM in the admin: for looking things up, read-only.

Every CRM write goes through the services (access check, validation, audit event), so the admin
never adds, changes or deletes CRM rows itself. Only the admin role opens these pages, and each
shows the rows the access policy's visible() gives them (backend/access/policy/admin.py): a
document link, for one, only when its document is visible to them.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.access.policy.admin import PolicyInline, PolicyModelAdmin
from backend.access.policy import visible
from backend.crm.models import (
    AccountTeamMember, Activity, Contact, Customer, DocumentLink, Invoice, KnowledgeArticle, Opportunity,
    OpportunityStageChange, Order, OrderLine, Payment, Product, Quote, QuoteLine, ServiceRecord,
)
from backend.documents.models import Document


class ReadOnlyAdmin(PolicyModelAdmin):
    """Lists, filters, search and detail pages; no writes that would bypass the services' audit."""


class ReadOnlyInline(PolicyInline):
    show_change_link = True


class LinkedDocumentAdmin(ReadOnlyAdmin):
    """A row pointing at a document (a quote's, an order's contract): the document's title shows only to
    those the policy lets see the document; the admin role sees every order, not every contract."""

    document_field = "document"

    def get_exclude(self, request, obj=None):
        return (*(super().get_exclude(request, obj) or ()), self.document_field)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "linked_document")

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        document_id = getattr(obj, f"{self.document_field}_id", None)
        if document_id is not None:
            obj.visible_document = visible(request.user, Document.objects.filter(pk=document_id)).first()
        return obj

    @admin.display(description=_("document"))
    def linked_document(self, obj) -> str:
        if getattr(obj, f"{self.document_field}_id", None) is None:
            return "-"
        shown = getattr(obj, "visible_document", None)
        return shown.title if shown is not None else gettext("(a document you may not see)")


# --- customers ---------------------------------------------------------------------------------


class AccountTeamInline(ReadOnlyInline):
    model = AccountTeamMember
    fields = ("user", "role", "added_at")


class ContactInline(ReadOnlyInline):
    model = Contact
    fields = ("name", "title", "email", "phone", "is_primary")


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "region", "industry", "tier", "status", "owner", "owner_since", "created_at")
    list_filter = ("tier", "status", "region")
    search_fields = ("name", "code", "region", "industry")
    inlines = [AccountTeamInline, ContactInline]


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(ReadOnlyAdmin):
    list_display = ("customer", "user", "role", "added_at")
    search_fields = ("customer__name", "user__username", "user__display_name")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("name", "customer", "title", "email", "phone", "is_primary")
    list_filter = ("is_primary",)
    search_fields = ("name", "email", "phone", "customer__name")


# --- catalogue, deals, quotes ----------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "name_en", "list_price", "floor_price", "currency", "active")
    list_filter = ("active", "currency")
    search_fields = ("code", "name", "name_en")


class StageHistoryInline(ReadOnlyInline):
    model = OpportunityStageChange
    fields = ("from_stage", "to_stage", "changed_by", "changed_at", "note")
    show_change_link = False


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ("title", "customer", "owner", "stage", "probability", "amount", "currency", "expected_close",
                    "created_at", "closed_at")
    list_filter = ("stage", "currency")
    search_fields = ("title", "customer__name", "lost_reason")
    date_hierarchy = "created_at"
    inlines = [StageHistoryInline]


@admin.register(OpportunityStageChange)
class OpportunityStageChangeAdmin(ReadOnlyAdmin):
    list_display = ("opportunity", "from_stage", "to_stage", "changed_by", "changed_at")
    list_filter = ("to_stage",)
    search_fields = ("opportunity__title",)


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ("product", "description", "quantity", "unit_price", "discount_percent", "line_total")
    show_change_link = False


@admin.register(Quote)
class QuoteAdmin(LinkedDocumentAdmin):
    list_display = ("number", "customer", "owner", "status", "currency", "valid_until", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "customer__name")
    date_hierarchy = "created_at"
    inlines = [QuoteLineInline]


@admin.register(QuoteLine)
class QuoteLineAdmin(ReadOnlyAdmin):
    list_display = ("quote", "product", "quantity", "unit_price", "discount_percent", "line_total")
    search_fields = ("quote__number", "product__code")


# --- orders -------------------------------------------------------------------------------------


class OrderLineInline(QuoteLineInline):
    model = OrderLine


class InvoiceInline(ReadOnlyInline):
    model = Invoice
    fields = ("number", "amount", "issued_on", "due_on")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("amount", "received_on", "invoice", "reference", "is_prepayment", "recorded_by")


@admin.register(Order)
class OrderAdmin(LinkedDocumentAdmin):
    document_field = "contract_document"
    list_display = ("number", "customer", "owner", "status", "currency", "signed_date", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "customer__name", "quote__number")
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, InvoiceInline, PaymentInline]


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    list_display = ("order", "product", "quantity", "unit_price", "discount_percent", "line_total")
    search_fields = ("order__number", "product__code")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "order", "amount", "issued_on", "due_on")
    search_fields = ("number", "order__number", "order__customer__name")
    date_hierarchy = "due_on"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("order", "invoice", "amount", "received_on", "is_prepayment", "reference", "recorded_by")
    list_filter = ("is_prepayment",)
    search_fields = ("order__number", "invoice__number", "reference")
    date_hierarchy = "received_on"


# --- service, knowledge, activities, links -------------------------------------------------------


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = ("title", "customer", "type", "priority", "dispatch_state", "engineer", "satisfaction",
                    "created_at", "resolved_at")
    list_filter = ("dispatch_state", "type", "priority")
    search_fields = ("title", "description", "resolution", "customer__name")
    date_hierarchy = "created_at"


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(ReadOnlyAdmin):
    list_display = ("title", "status", "visibility", "product", "author", "updated_at", "published_at")
    list_filter = ("status", "visibility")
    search_fields = ("title", "body")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("subject", "kind", "customer", "owner", "occurred_at", "due_at", "done")
    list_filter = ("kind", "done")
    search_fields = ("subject", "body", "customer__name")
    date_hierarchy = "occurred_at"


@admin.register(DocumentLink)
class DocumentLinkAdmin(ReadOnlyAdmin):
    list_display = ("document", "target_type", "customer", "created_by", "created_at")
    list_filter = ("target_type",)
    search_fields = ("document__title", "customer__name")
