"""Service record endpoints: open, dispatch, confirm, resolve, close, rate, and turn into knowledge."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.common.api import UserRefSerializer, paged, validated
from backend.common.pagination import KeysetPagination
from backend.common.resolver import resolve
from backend.crm.api.knowledge import ArticleSerializer
from backend.crm.api.refs import CustomerRefSerializer, ProductRefSerializer
from backend.crm.models import DispatchState, Order, Priority, Product, ServiceType
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.service import service_record_get_visible, service_record_list_visible
from backend.crm.selectors.service_levels import service_clock
from backend.crm.services import service as services


class ServiceRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = CustomerRefSerializer()
    product = ProductRefSerializer(allow_null=True)
    order = serializers.IntegerField(source="order_id", allow_null=True)
    type = serializers.CharField()
    priority = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    dispatch_state = serializers.CharField()
    next_state = serializers.SerializerMethodField()
    engineer = UserRefSerializer(allow_null=True)
    resolution = serializers.CharField()
    satisfaction = serializers.IntegerField(allow_null=True)
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    dispatched_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    preferred_visit_at = serializers.DateTimeField(allow_null=True)  # when the customer asked us to come
    # service levels: when it must be dispatched and resolved (null without a target), and whether a due time
    # has passed with the step not done (running late, or done late)
    response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    breached = serializers.SerializerMethodField()

    def get_next_state(self, record) -> str | None:
        return services.NEXT_STATE[record.dispatch_state]

    def get_breached(self, record) -> bool:
        return service_clock(record).breached


class ArticleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()


class ServiceRecordDetailSerializer(ServiceRecordSerializer):
    articles = ArticleRefSerializer(many=True)


class ServiceRecordInput(serializers.Serializer):
    customer = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=ServiceType.choices, default=ServiceType.ISSUE)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    product = serializers.IntegerField(required=False, allow_null=True, default=None)
    order = serializers.IntegerField(required=False, allow_null=True, default=None)


class DispatchInput(serializers.Serializer):
    engineer = serializers.IntegerField()


class ResolveInput(serializers.Serializer):
    resolution = serializers.CharField(allow_blank=True)


class RateInput(serializers.Serializer):
    satisfaction = serializers.IntegerField()



def _detail(request: Request, record_id: int, code: int = status.HTTP_200_OK) -> Response:
    record = service_record_get_visible(user=request.user, record_id=record_id)
    return Response(ServiceRecordDetailSerializer(record).data, status=code)


def _step(request: Request, record_id: int, action, input_class=None) -> Response:
    """One step of the workflow on a record `request.user` may see (a 404 otherwise), with the body's fields
    when `input_class` names some; the record as it is afterwards."""
    record = service_record_get_visible(user=request.user, record_id=record_id)
    action(actor=request.user, record=record, **(validated(input_class, request.data) if input_class else {}))
    return _detail(request, record_id)


@extend_schema(tags=["crm: service"])
class ServiceRecordListCreateView(GenericAPIView):
    serializer_class = ServiceRecordSerializer
    pagination_class = KeysetPagination

    @extend_schema(operation_id="crm_service_records_list", summary="Service records you may see", parameters=[
        OpenApiParameter("dispatch_state", str, enum=DispatchState.values, many=True),
        OpenApiParameter("customer", int), OpenApiParameter("engineer", int),
        OpenApiParameter("type", str, enum=ServiceType.values), OpenApiParameter("priority", str, enum=Priority.values),
    ])
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        return service_record_list_visible(user=self.request.user, filters=self.request.query_params)

    @extend_schema(summary="Open a service record", request=ServiceRecordInput,
                   responses={201: ServiceRecordDetailSerializer})
    def post(self, request: Request) -> Response:
        data = validated(ServiceRecordInput, request.data)
        customer = customer_get_visible(user=request.user, customer_id=data.pop("customer"))
        record = services.service_record_create(
            actor=request.user, customer=customer, title=data["title"], type=data["type"],
            priority=data["priority"], description=data["description"],
            product=resolve(Product, data["product"], field="product", label="product"),
            order=resolve(Order, data["order"], field="order", label="order"),
        )
        return _detail(request, record.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["crm: service"])
class ServiceRecordDetailView(APIView):
    @extend_schema(summary="A service record", responses=ServiceRecordDetailSerializer)
    def get(self, request: Request, record_id: int) -> Response:
        return _detail(request, record_id)


@extend_schema(tags=["crm: service"])
class ServiceRecordDispatchView(APIView):
    @extend_schema(summary="Assign an engineer (not dispatched → dispatched)", request=DispatchInput,
                   responses=ServiceRecordDetailSerializer)
    def post(self, request: Request, record_id: int) -> Response:
        record = service_record_get_visible(user=request.user, record_id=record_id)
        data = validated(DispatchInput, request.data)
        engineer = resolve(User.objects.filter(is_active=True), data["engineer"], field="engineer",
                           label="active user")
        services.service_record_dispatch(actor=request.user, record=record, engineer=engineer)
        return _detail(request, record_id)


@extend_schema(tags=["crm: service"])
class ServiceRecordConfirmView(APIView):
    @extend_schema(summary="The assigned engineer confirms (dispatched → confirmed)", request=None,
                   responses=ServiceRecordDetailSerializer)
    def post(self, request: Request, record_id: int) -> Response:
        return _step(request, record_id, services.service_record_confirm)


@extend_schema(tags=["crm: service"])
class ServiceRecordResolveView(APIView):
    @extend_schema(summary="Record the resolution (confirmed → resolved)", request=ResolveInput,
                   responses=ServiceRecordDetailSerializer)
    def post(self, request: Request, record_id: int) -> Response:
        return _step(request, record_id, services.service_record_resolve, ResolveInput)


@extend_schema(tags=["crm: service"])
class ServiceRecordCloseView(APIView):
    @extend_schema(summary="Close (resolved → closed)", request=None, responses=ServiceRecordDetailSerializer)
    def post(self, request: Request, record_id: int) -> Response:
        return _step(request, record_id, services.service_record_close)


@extend_schema(tags=["crm: service"])
class ServiceRecordRateView(APIView):
    @extend_schema(summary="Record the customer's satisfaction (1–5) once resolved or closed", request=RateInput,
                   responses=ServiceRecordDetailSerializer)
    def post(self, request: Request, record_id: int) -> Response:
        return _step(request, record_id, services.service_record_rate, RateInput)


@extend_schema(tags=["crm: service"])
class ServiceRecordToArticleView(APIView):
    @extend_schema(summary="Draft a knowledge article from a resolved record (service staff and admins)",
                   request=None, responses={201: ArticleSerializer})
    def post(self, request: Request, record_id: int) -> Response:
        record = service_record_get_visible(user=request.user, record_id=record_id)
        article = services.service_record_to_article(actor=request.user, record=record)
        return Response(ArticleSerializer(article).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("service-records/", ServiceRecordListCreateView.as_view(), name="api-service-list"),
    path("service-records/<int:record_id>/", ServiceRecordDetailView.as_view(), name="api-service-detail"),
    path("service-records/<int:record_id>/dispatch/", ServiceRecordDispatchView.as_view(),
         name="api-service-dispatch"),
    path("service-records/<int:record_id>/confirm/", ServiceRecordConfirmView.as_view(), name="api-service-confirm"),
    path("service-records/<int:record_id>/resolve/", ServiceRecordResolveView.as_view(), name="api-service-resolve"),
    path("service-records/<int:record_id>/close/", ServiceRecordCloseView.as_view(), name="api-service-close"),
    path("service-records/<int:record_id>/rate/", ServiceRecordRateView.as_view(), name="api-service-rate"),
    path("service-records/<int:record_id>/to-article/", ServiceRecordToArticleView.as_view(),
         name="api-service-to-article"),
]
