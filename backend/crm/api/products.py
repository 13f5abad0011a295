"""The product catalogue: every member of staff lists and reads it; its editors (the policy's
`may_edit_product_catalogue`, roles in PRODUCT_CATALOGUE_ROLES) add and change products. Everyone else
is answered 404 on a write, as for anything they may not change."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import query_text, validated
from backend.common.errors import InvalidInput
from backend.crm.api.refs import money_field
from backend.crm.models import Currency, Product
from backend.crm.selectors import products as selectors
from backend.crm.services import products as services

STATES = (selectors.ACTIVE, selectors.RETIRED, selectors.ALL)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "name_en", "description", "list_price", "floor_price", "currency", "active",
                  "updated_at"]


class ProductInput(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, help_text="the Chinese name")
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    list_price = money_field()
    floor_price = money_field(required=False, allow_null=True, default=None,
                              help_text="the lowest unit price a quote offers without a warning; null: none")
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.CNY)
    active = serializers.BooleanField(required=False, default=True)


class ProductUpdateInput(serializers.Serializer):
    code = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=200, required=False)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    list_price = money_field(required=False)
    floor_price = money_field(required=False, allow_null=True)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    active = serializers.BooleanField(required=False)


def _state(params) -> str:
    state = query_text(params, "state") or selectors.ACTIVE
    if state not in STATES:
        raise InvalidInput("state must be active, retired or all.", fields={"state": [f"One of: {', '.join(STATES)}."]})
    return state


@extend_schema(tags=["crm: products"])
class ProductListCreateView(GenericAPIView):
    serializer_class = ProductSerializer
    pagination_class = None  # the whole catalogue (or what matches q), one list in code order

    @extend_schema(summary="The product catalogue (active products unless state says otherwise)",
                   operation_id="crm_products_list",
                   parameters=[OpenApiParameter("q", str, description="part of the code or of either name"),
                               OpenApiParameter("state", str, enum=list(STATES), description="default active")],
                   responses=ProductSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ProductSerializer(self.get_queryset(), many=True).data)

    def get_queryset(self):  # also what DRF's browsable page asks for
        params = self.request.query_params
        return selectors.product_list_visible(user=self.request.user, q=query_text(params, "q"), state=_state(params))

    @extend_schema(summary="Add a product (catalogue editors; 404 for everyone else)", request=ProductInput,
                   responses={201: ProductSerializer})
    def post(self, request: Request) -> Response:
        product = services.product_create(actor=request.user, **validated(ProductInput, request.data))
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: products"])
class ProductDetailView(APIView):

    @extend_schema(summary="A product", operation_id="crm_products_retrieve", responses=ProductSerializer)
    def get(self, request: Request, product_id: int) -> Response:
        return Response(ProductSerializer(selectors.product_get_visible(user=request.user,
                                                                        product_id=product_id)).data)

    @extend_schema(summary="Change a product's code, names, prices, currency or availability (catalogue editors)",
                   request=ProductUpdateInput, responses=ProductSerializer)
    def patch(self, request: Request, product_id: int) -> Response:
        product = selectors.product_get_visible(user=request.user, product_id=product_id)
        product = services.product_update(actor=request.user, product=product,
                                          **validated(ProductUpdateInput, request.data))
        return Response(ProductSerializer(product).data)


urlpatterns = [
    path("products/", ProductListCreateView.as_view(), name="api-product-list"),
    path("products/<int:product_id>/", ProductDetailView.as_view(), name="api-product-detail"),
]
