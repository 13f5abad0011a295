"""Opportunity endpoints: the funnel."""

from __future__ import annotations

from decimal import Decimal

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.api import UserRefSerializer, paged, query_id, query_text, validated
from backend.common.query_fields import check_in_calendar
from backend.crm.models import Currency, Opportunity, OpportunityStageChange, Stage
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.opportunities import opportunity_get_visible, opportunity_list_visible
from backend.crm.services import opportunities as services


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StageChangeSerializer(serializers.ModelSerializer):
    changed_by = UserRefSerializer()

    class Meta:
        model = OpportunityStageChange
        fields = ["from_stage", "to_stage", "changed_by", "changed_at", "note"]


class CompetitorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field({"oneOf": [{"type": "array", "items": {"type": "string"}},
                               {"type": "string", "description": "names separated by commas (the old form)"}]})
class CompetitorNamesField(serializers.Field):
    """Competitors by name: a list of names, or (as before they were records) one text of names separated
    by commas. New names become competitor records."""

    default_error_messages = {"invalid": "Give a list of names."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data
        if isinstance(data, (list, tuple)) and all(isinstance(item, str) for item in data):
            return list(data)
        self.fail("invalid")

    def to_representation(self, value):  # pragma: no cover - input only
        return value


class OpportunitySerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    owner = UserRefSerializer()
    weighted_amount = serializers.SerializerMethodField()
    competitors = CompetitorSerializer(many=True)

    class Meta:
        model = Opportunity
        fields = ["id", "customer", "title", "amount", "currency", "weighted_amount", "expected_close", "owner",
                  "competitors", "stage", "probability", "lost_reason", "created_at", "updated_at", "closed_at"]

    def get_weighted_amount(self, opportunity) -> str:
        return str((opportunity.amount * opportunity.probability / 100).quantize(Decimal("0.01")))


class OpportunityDetailSerializer(OpportunitySerializer):
    stage_history = StageChangeSerializer(many=True)

    class Meta(OpportunitySerializer.Meta):
        fields = OpportunitySerializer.Meta.fields + ["stage_history"]


class OpportunityInput(serializers.Serializer):
    customer = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, default=0)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.CNY)
    expected_close = serializers.DateField(required=False, allow_null=True, default=None,
                                           validators=[check_in_calendar])
    competitors = CompetitorNamesField(required=False, default=list)
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.LEAD)
    probability = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=100)


class OpportunityUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    expected_close = serializers.DateField(required=False, allow_null=True, validators=[check_in_calendar])
    competitors = CompetitorNamesField(required=False)
    probability = serializers.IntegerField(required=False, min_value=0, max_value=100)


class StageInput(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    lost_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    reopen = serializers.BooleanField(required=False, default=False)


@extend_schema(tags=["crm: opportunities"])
class OpportunityListCreateView(GenericAPIView):
    serializer_class = OpportunitySerializer

    @extend_schema(summary="Opportunities you may see (filters: customer, stage, owner)",
                   operation_id="crm_opportunities_list")
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        params = self.request.query_params
        return opportunity_list_visible(user=self.request.user, customer_id=query_id(params, "customer"),
                                        stage=query_text(params, "stage"), owner_id=query_id(params, "owner")
                                        ).prefetch_related("competitors")

    @extend_schema(summary="Open an opportunity", request=OpportunityInput, responses={201: OpportunitySerializer})
    def post(self, request: Request) -> Response:
        data = validated(OpportunityInput, request.data)
        customer = customer_get_visible(user=request.user, customer_id=data.pop("customer"))
        opportunity = services.opportunity_create(actor=request.user, customer=customer, **data)
        fresh = opportunity_get_visible(user=request.user, opportunity_id=opportunity.pk)
        return Response(OpportunitySerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: opportunities"])
class OpportunityDetailView(APIView):
    @extend_schema(summary="An opportunity with its stage history", responses=OpportunityDetailSerializer)
    def get(self, request: Request, opportunity_id: int) -> Response:
        opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
        return Response(OpportunityDetailSerializer(opportunity).data)

    @extend_schema(summary="Change details", request=OpportunityUpdateInput, responses=OpportunitySerializer)
    def patch(self, request: Request, opportunity_id: int) -> Response:
        opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
        services.opportunity_update(actor=request.user, opportunity=opportunity,
                                   **validated(OpportunityUpdateInput, request.data))
        fresh = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
        return Response(OpportunitySerializer(fresh).data)


@extend_schema(tags=["crm: opportunities"])
class OpportunityStageView(APIView):
    @extend_schema(summary="Move along the funnel (won/lost are final unless reopen=true)", request=StageInput,
                   responses=OpportunityDetailSerializer)
    def post(self, request: Request, opportunity_id: int) -> Response:
        opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
        services.opportunity_stage_change(actor=request.user, opportunity=opportunity,
                                          **validated(StageInput, request.data))
        fresh = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
        return Response(OpportunityDetailSerializer(fresh).data)


urlpatterns = [
    path("opportunities/", OpportunityListCreateView.as_view(), name="api-opportunity-list"),
    path("opportunities/<int:opportunity_id>/", OpportunityDetailView.as_view(), name="api-opportunity-detail"),
    path("opportunities/<int:opportunity_id>/stage/", OpportunityStageView.as_view(), name="api-opportunity-stage"),
]
