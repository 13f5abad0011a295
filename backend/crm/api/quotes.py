"""Quotes and quote history for a customer (the product catalogue is products.py)."""

from __future__ import annotations

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.access.policy import Action, visible
from backend.common.api import UserRefSerializer, paged, query_id, query_text, validated
from backend.common.query_fields import check_in_calendar
from backend.common.resolver import resolve
from backend.crm.api.opportunities import CustomerRefSerializer
from backend.crm.models import Currency, Opportunity, Quote, QuoteLine, QuoteStatus
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.quotes import (
    quote_get_visible,
    quote_history_for_customer,
    quote_list_visible,
    quote_revisions,
)
from backend.crm.services import quotes as services
from backend.documents.services import document_get_for_action


class QuoteLineSerializer(serializers.ModelSerializer):
    product = serializers.SerializerMethodField()

    class Meta:
        model = QuoteLine
        fields = ["id", "product", "description", "quantity", "unit_price", "discount_percent", "line_total"]

    def get_product(self, line) -> dict:
        return {"id": line.product_id, "code": line.product.code, "name": line.product.name}


class QuoteSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    owner = UserRefSerializer()
    total = serializers.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        model = Quote
        fields = ["id", "number", "customer", "opportunity", "owner", "currency", "valid_until", "status", "total",
                  "document", "notes", "created_at", "sent_at", "decided_at", "original", "revision"]


class QuoteDetailSerializer(QuoteSerializer):
    lines = QuoteLineSerializer(many=True)

    class Meta(QuoteSerializer.Meta):
        fields = QuoteSerializer.Meta.fields + ["lines"]


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class QuoteCreatedSerializer(serializers.Serializer):
    quote = QuoteDetailSerializer()
    warnings = WarningSerializer(many=True)


class LineInput(serializers.Serializer):
    product = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, default=0)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class QuoteInput(serializers.Serializer):
    customer = serializers.IntegerField()
    opportunity = serializers.IntegerField(required=False, allow_null=True, default=None)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.CNY)
    valid_until = serializers.DateField(required=False, allow_null=True, default=None,
                                        validators=[check_in_calendar])
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    lines = LineInput(many=True)


class RevisionInput(serializers.Serializer):
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    valid_until = serializers.DateField(required=False, allow_null=True, validators=[check_in_calendar])
    notes = serializers.CharField(required=False, allow_blank=True)
    lines = LineInput(many=True)


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=QuoteStatus.choices)


class AttachInput(serializers.Serializer):
    document = serializers.IntegerField()


class HistoryLineSerializer(serializers.Serializer):
    quote_id = serializers.IntegerField(source="quote.id")
    quote_number = serializers.CharField(source="quote.number")
    date = serializers.DateTimeField(source="quote.created_at")
    rep = UserRefSerializer(source="quote.owner")
    status = serializers.CharField(source="quote.status")
    currency = serializers.CharField(source="quote.currency")
    product = serializers.SerializerMethodField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=16, decimal_places=2)
    document = serializers.SerializerMethodField()

    def get_product(self, line) -> dict:
        return {"id": line.product_id, "code": line.product.code, "name": line.product.name}

    def get_document(self, line) -> dict | None:
        document = line.quote.document
        if document is None or not line.document_downloadable or document.valid_version is None:
            return None
        return {
            "id": document.pk,
            "title": document.title,
            "valid_version": document.valid_version.number,
            "status": document.valid_version.effective_status,
            "download_url": reverse("api-document-download", args=[document.pk]),
        }


def _history_body(history) -> dict:
    last = [
        {"product": {"id": pid, "code": history.products[pid].code if pid in history.products else None},
         "unit_price": str(info["unit_price"]), "discount_percent": str(info["discount_percent"]),
         "net_unit_price": str(info["net_unit_price"]), "quote_number": info["quote_number"],
         "decided_at": info["decided_at"].isoformat() if info["decided_at"] else None}
        for pid, info in sorted(history.last_accepted.items())
    ]
    return {
        "customer": {"id": history.customer.pk, "name": history.customer.name},
        "lines": HistoryLineSerializer(history.lines, many=True).data,
        "last_accepted": last,
    }


@extend_schema(tags=["crm: quotes"])
class QuoteListCreateView(GenericAPIView):
    serializer_class = QuoteSerializer

    @extend_schema(summary="Quotes you may see (filters: customer, status, owner)", operation_id="crm_quotes_list")
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        params = self.request.query_params
        return quote_list_visible(user=self.request.user, customer_id=query_id(params, "customer"),
                                  status=query_text(params, "status"), owner_id=query_id(params, "owner"))

    @extend_schema(summary="Draft a quote; the response carries warnings (another rep's open quote, price deviation)",
                   request=QuoteInput, responses={201: QuoteCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = validated(QuoteInput, request.data)
        customer = customer_get_visible(user=request.user, customer_id=data.pop("customer"))
        data["opportunity"] = resolve(visible(request.user, Opportunity.objects.all()),
                                      data.get("opportunity") or None, field="opportunity", label="opportunity")
        quote, warnings = services.quote_create(actor=request.user, customer=customer, **data)
        fresh = quote_get_visible(user=request.user, quote_id=quote.pk)
        body = {"quote": QuoteDetailSerializer(fresh).data, "warnings": [w.as_dict() for w in warnings]}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: quotes"])
class QuoteDetailView(APIView):
    @extend_schema(summary="A quote with its lines", responses=QuoteDetailSerializer)
    def get(self, request: Request, quote_id: int) -> Response:
        quote = services.quote_view(actor=request.user, quote_id=quote_id)  # an audited read
        return Response(QuoteDetailSerializer(quote).data)


@extend_schema(tags=["crm: quotes"])
class QuoteStatusView(APIView):
    @extend_schema(summary="draft → sent → accepted / rejected / expired; open quotes may be superseded",
                   request=StatusInput, responses=QuoteDetailSerializer)
    def post(self, request: Request, quote_id: int) -> Response:
        quote = quote_get_visible(user=request.user, quote_id=quote_id)
        services.quote_status_change(actor=request.user, quote=quote, **validated(StatusInput, request.data))
        return Response(QuoteDetailSerializer(quote_get_visible(user=request.user, quote_id=quote_id)).data)


@extend_schema(tags=["crm: quotes"])
class QuoteAttachDocumentView(APIView):
    @extend_schema(summary="Attach the quote's rendered document (kind quote)", request=AttachInput,
                   responses=QuoteDetailSerializer)
    def post(self, request: Request, quote_id: int) -> Response:
        quote = quote_get_visible(user=request.user, quote_id=quote_id)
        data = validated(AttachInput, request.data)
        document = document_get_for_action(actor=request.user, document_id=data["document"])
        services.quote_attach_document(actor=request.user, quote=quote, document=document)
        return Response(QuoteDetailSerializer(quote_get_visible(user=request.user, quote_id=quote_id)).data)


@extend_schema(tags=["crm: quotes"])
class QuoteRevisionsView(APIView):
    @extend_schema(summary="The quote's revision chain you may see, oldest first (each with its status and total)",
                   operation_id="crm_quote_revisions_list", responses=QuoteSerializer(many=True))
    def get(self, request: Request, quote_id: int) -> Response:
        quote = quote_get_visible(user=request.user, quote_id=quote_id)
        return Response(QuoteSerializer(quote_revisions(user=request.user, quote=quote), many=True).data)

    @extend_schema(summary="Revise an open (draft or sent) quote: a new quote with these lines; the old one is kept, "
                           "superseded (409 when it is not open)",
                   request=RevisionInput, responses={201: QuoteCreatedSerializer})
    def post(self, request: Request, quote_id: int) -> Response:
        # may not change it looks the same as may not see it: 404
        quote = quote_get_visible(user=request.user, quote_id=quote_id, action=Action.CHANGE)
        revised, warnings = services.quote_revise(actor=request.user, quote=quote,
                                                  **validated(RevisionInput, request.data))
        fresh = quote_get_visible(user=request.user, quote_id=revised.pk)
        body = {"quote": QuoteDetailSerializer(fresh).data, "warnings": [w.as_dict() for w in warnings]}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: quotes"])
class QuoteHistoryView(APIView):
    @extend_schema(
        summary="What did we quote this customer before? Every quote line, newest first, with the last accepted "
                "price per product",
        parameters=[OpenApiParameter("product", int, description="only this product")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        history = quote_history_for_customer(user=request.user, customer=customer,
                                             product_id=query_id(request.query_params, "product"))
        return Response(_history_body(history))


urlpatterns = [
    path("quotes/", QuoteListCreateView.as_view(), name="api-quote-list"),
    path("quotes/<int:quote_id>/", QuoteDetailView.as_view(), name="api-quote-detail"),
    path("quotes/<int:quote_id>/status/", QuoteStatusView.as_view(), name="api-quote-status"),
    path("quotes/<int:quote_id>/revisions/", QuoteRevisionsView.as_view(), name="api-quote-revisions"),
    path("quotes/<int:quote_id>/document/", QuoteAttachDocumentView.as_view(), name="api-quote-document"),
    path("customers/<int:customer_id>/quote-history/", QuoteHistoryView.as_view(), name="api-quote-history"),
]

