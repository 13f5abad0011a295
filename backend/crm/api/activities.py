"""Activity endpoints: a customer's timeline, logging, reminders."""

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
from backend.crm.api.refs import CustomerRefSerializer
from backend.crm.models import ActivityKind, Contact, Opportunity
from backend.crm.selectors.activities import (
    activity_get_visible,
    activity_timeline,
    customer_for_activities,
    reminder_list_open,
)
from backend.crm.services import activities as services


class TimelinePagination(KeysetPagination):
    ordering = ("-occurred_at", "-id")


class DueFirstPagination(KeysetPagination):
    ordering = ("due_at", "id")


class OpportunityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ContactRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = CustomerRefSerializer()
    opportunity = OpportunityRefSerializer(allow_null=True)
    contact = ContactRefSerializer(allow_null=True)
    kind = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    done = serializers.BooleanField()
    overdue = serializers.SerializerMethodField()
    owner = UserRefSerializer()
    created_at = serializers.DateTimeField()

    def get_overdue(self, activity) -> bool:
        return bool(activity.kind == ActivityKind.REMINDER and not activity.done and activity.due_at
                    and activity.due_at < timezone.now())


class ActivityInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                            validators=[check_in_calendar])
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                       validators=[check_in_calendar])
    opportunity = serializers.IntegerField(required=False, allow_null=True, default=None)
    contact = serializers.IntegerField(required=False, allow_null=True, default=None,
                                       help_text="One of the customer's contacts (who it was with).")


@extend_schema(tags=["crm: activities"])
class CustomerActivityView(GenericAPIView):
    serializer_class = ActivitySerializer
    pagination_class = TimelinePagination

    @extend_schema(summary="A customer's timeline, newest first", parameters=[
        OpenApiParameter("kind", str, enum=ActivityKind.values, many=True), OpenApiParameter("opportunity", int),
        OpenApiParameter("done", bool),
    ])
    def get(self, request: Request, customer_id: int) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        customer = customer_for_activities(user=self.request.user, customer_id=self.kwargs["customer_id"])
        return activity_timeline(user=self.request.user, customer=customer, filters=self.request.query_params)

    @extend_schema(summary="Log a visit, call, e-mail, note or next-step reminder", request=ActivityInput,
                   responses={201: ActivitySerializer})
    def post(self, request: Request, customer_id: int) -> Response:
        customer = customer_for_activities(user=request.user, customer_id=customer_id)
        data = validated(ActivityInput, request.data)
        opportunity = resolve(Opportunity, data["opportunity"], field="opportunity", label="opportunity")
        contact = resolve(Contact, data["contact"], field="contact", label="contact")
        activity = services.activity_log(
            actor=request.user, customer=customer, kind=data["kind"], subject=data["subject"], body=data["body"],
            occurred_at=data["occurred_at"], due_at=data["due_at"], opportunity=opportunity, contact=contact,
        )
        fresh = activity_get_visible(user=request.user, activity_id=activity.pk)
        return Response(ActivitySerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: activities"])
class ActivityDoneView(APIView):
    @extend_schema(summary="Mark a reminder done", request=None, responses=ActivitySerializer)
    def post(self, request: Request, activity_id: int) -> Response:
        activity = activity_get_visible(user=request.user, activity_id=activity_id)
        services.activity_complete(actor=request.user, activity=activity)
        return Response(ActivitySerializer(activity_get_visible(user=request.user, activity_id=activity_id)).data)


@extend_schema(tags=["crm: activities"])
class ReminderListView(GenericAPIView):
    serializer_class = ActivitySerializer
    pagination_class = DueFirstPagination

    @extend_schema(summary="My open reminders, soonest due first")
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        return reminder_list_open(user=self.request.user)


urlpatterns = [
    path("customers/<int:customer_id>/activities/", CustomerActivityView.as_view(), name="api-customer-activities"),
    path("activities/<int:activity_id>/done/", ActivityDoneView.as_view(), name="api-activity-done"),
    path("reminders/", ReminderListView.as_view(), name="api-reminders"),
]
