"""Order, invoice and payment endpoints. Money is rendered as decimal strings with the order's currency."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import UserRefSerializer, paged, validated
from backend.common.pagination import KeysetPagination
from backend.common.query_fields import check_in_calendar
from backend.common.resolver import resolve
from backend.crm.api.refs import CustomerRefSerializer, ProductRefSerializer, money_field
from backend.crm.models import Currency, OrderStatus, Quote
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.orders import invoice_get_for_order, order_get_visible, order_list_visible
from backend.crm.services import orders as services
from backend.documents.models import Document


class OrderLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = ProductRefSerializer()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit_price = money_field()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    line_total = money_field()


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    amount = money_field()
    issued_on = serializers.DateField()
    due_on = serializers.DateField()
    paid = money_field()
    unpaid = money_field()
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, invoice) -> bool:
        return invoice.unpaid > 0 and invoice.due_on < timezone.localdate()


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = money_field()
    received_on = serializers.DateField()
    reference = serializers.CharField()
    is_prepayment = serializers.BooleanField()
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True)
    recorded_by = UserRefSerializer()
    created_at = serializers.DateTimeField()


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    customer = CustomerRefSerializer()
    owner = UserRefSerializer()
    quote = serializers.IntegerField(source="quote_id", allow_null=True)
    currency = serializers.CharField()
    signed_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    contract_document = serializers.IntegerField(source="contract_document_id", allow_null=True)
    created_at = serializers.DateTimeField()
    total = money_field()
    paid = money_field()
    invoiced = money_field()
    outstanding = money_field()
    invoiced_unpaid = money_field()
    overdue = money_field()


class OrderDetailSerializer(OrderSerializer):
    quote_number = serializers.CharField(source="quote.number", default=None)
    lines = OrderLineSerializer(many=True)
    invoices = InvoiceSerializer(many=True)
    payments = PaymentSerializer(many=True)


class OrderInput(serializers.Serializer):
    customer = serializers.IntegerField()
    number = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True, default=None)
    lines = serializers.ListField(
        child=serializers.DictField(), required=False, default=list,
        help_text="[{product, quantity, unit_price, discount_percent, description}]; "
                  "leave empty to copy the accepted quote's lines.",
    )
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.CNY)
    signed_date = serializers.DateField(required=False, allow_null=True, default=None,
                                        validators=[check_in_calendar])
    quote = serializers.IntegerField(required=False, allow_null=True, default=None)
    contract_document = serializers.IntegerField(required=False, allow_null=True, default=None)


class OrderStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class InvoiceInput(serializers.Serializer):
    amount = money_field()
    issued_on = serializers.DateField(required=False, allow_null=True, default=None,
                                      validators=[check_in_calendar])
    due_on = serializers.DateField(required=False, allow_null=True, default=None, validators=[check_in_calendar])
    number = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True, default=None)


class PaymentInput(serializers.Serializer):
    amount = money_field()
    received_on = serializers.DateField(required=False, allow_null=True, default=None,
                                        validators=[check_in_calendar])
    invoice = serializers.IntegerField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_prepayment = serializers.BooleanField(required=False, default=False)



def _detail(request: Request, order_id: int, code: int = status.HTTP_200_OK) -> Response:
    order = order_get_visible(user=request.user, order_id=order_id)
    return Response(OrderDetailSerializer(order).data, status=code)


@extend_schema(tags=["crm: orders"])
class OrderListCreateView(GenericAPIView):
    serializer_class = OrderSerializer
    pagination_class = KeysetPagination

    @extend_schema(operation_id="crm_orders_list", summary="Orders you may see, with their receivables", parameters=[
        OpenApiParameter("customer", int), OpenApiParameter("owner", int),
        OpenApiParameter("status", str, enum=OrderStatus.values), OpenApiParameter("q", str),
    ])
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        return order_list_visible(user=self.request.user, filters=self.request.query_params)

    @extend_schema(summary="Record a signed order", request=OrderInput, responses={201: OrderDetailSerializer})
    def post(self, request: Request) -> Response:
        data = validated(OrderInput, request.data)
        customer = customer_get_visible(user=request.user, customer_id=data["customer"])
        order = services.order_create(
            actor=request.user, customer=customer, lines=data["lines"], currency=data["currency"],
            number=data["number"], signed_date=data["signed_date"],
            quote=resolve(Quote, data["quote"], field="quote", label="quote"),
            contract_document=resolve(Document, data["contract_document"], field="contract_document",
                                      label="document"),
        )
        return _detail(request, order.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["crm: orders"])
class OrderDetailView(APIView):
    @extend_schema(summary="An order with lines, invoices, payments and receivables",
                   responses=OrderDetailSerializer)
    def get(self, request: Request, order_id: int) -> Response:
        order = services.order_view(actor=request.user, order_id=order_id)  # an audited read
        return Response(OrderDetailSerializer(order).data)


@extend_schema(tags=["crm: orders"])
class OrderStatusView(APIView):
    @extend_schema(summary="Fulfil or cancel an open order", request=OrderStatusInput, responses=OrderDetailSerializer)
    def post(self, request: Request, order_id: int) -> Response:
        order = order_get_visible(user=request.user, order_id=order_id)
        services.order_status_change(actor=request.user, order=order, **validated(OrderStatusInput, request.data))
        return _detail(request, order_id)


@extend_schema(tags=["crm: orders"])
class OrderInvoiceView(APIView):
    @extend_schema(summary="Issue an invoice against the order", request=InvoiceInput,
                   responses={201: OrderDetailSerializer})
    def post(self, request: Request, order_id: int) -> Response:
        order = order_get_visible(user=request.user, order_id=order_id)
        services.invoice_issue(actor=request.user, order=order, **validated(InvoiceInput, request.data))
        return _detail(request, order_id, status.HTTP_201_CREATED)


@extend_schema(tags=["crm: orders"])
class OrderPaymentView(APIView):
    @extend_schema(summary="Record a payment against the order (or one of its invoices)", request=PaymentInput,
                   responses={201: OrderDetailSerializer})
    def post(self, request: Request, order_id: int) -> Response:
        order = order_get_visible(user=request.user, order_id=order_id)
        data = validated(PaymentInput, request.data)
        invoice = None if data["invoice"] is None else invoice_get_for_order(order=order, invoice_id=data["invoice"])
        services.payment_record(actor=request.user, order=order, amount=data["amount"],
                                received_on=data["received_on"], invoice=invoice, reference=data["reference"],
                                is_prepayment=data["is_prepayment"])
        return _detail(request, order_id, status.HTTP_201_CREATED)


urlpatterns = [
    path("orders/", OrderListCreateView.as_view(), name="api-order-list"),
    path("orders/<int:order_id>/", OrderDetailView.as_view(), name="api-order-detail"),
    path("orders/<int:order_id>/status/", OrderStatusView.as_view(), name="api-order-status"),
    path("orders/<int:order_id>/invoices/", OrderInvoiceView.as_view(), name="api-order-invoices"),
    path("orders/<int:order_id>/payments/", OrderPaymentView.as_view(), name="api-order-payments"),
]
