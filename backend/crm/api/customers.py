"""Customer, account team and contact endpoints."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.common.pagination import KeysetPagination
from backend.common.api import UserRefSerializer, paged, query_text, validated
from backend.common.resolver import resolve
from backend.access.policy import Action
from backend.crm.models import Contact, ContactChannel, Customer, CustomerStatus, CustomerTier
from backend.crm.selectors.customers import contact_get_visible, customer_get_visible, customer_list_visible
from backend.crm.services import customers as services


class ByNamePagination(KeysetPagination):
    ordering = ("name", "id")


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "title", "email", "phone", "is_primary", "preferred_channel", "marketing_opt_out",
                  "marketing_opt_out_at", "created_at", "updated_at"]


class TeamMemberSerializer(serializers.Serializer):
    user = UserRefSerializer()
    role = serializers.CharField()
    added_at = serializers.DateTimeField()


class CustomerSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()

    class Meta:
        model = Customer
        fields = ["id", "name", "code", "industry", "region", "tier", "status", "owner", "owner_since",
                  "created_at", "updated_at"]


class CustomerDetailSerializer(CustomerSerializer):
    team = TeamMemberSerializer(many=True)
    contacts = ContactSerializer(many=True)
    open_opportunities = serializers.IntegerField()

    class Meta(CustomerSerializer.Meta):
        fields = CustomerSerializer.Meta.fields + ["team", "contacts", "open_opportunities"]


class CustomerInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    code = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True, default=None)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tier = serializers.ChoiceField(choices=CustomerTier.choices, default=CustomerTier.NORMAL)
    status = serializers.ChoiceField(choices=CustomerStatus.choices, default=CustomerStatus.PROSPECT)


class CustomerUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    code = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    tier = serializers.ChoiceField(choices=CustomerTier.choices, required=False)
    status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)


class UserIdInput(serializers.Serializer):
    user = serializers.IntegerField()
    role = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class ReassignInput(serializers.Serializer):
    owner = serializers.IntegerField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ContactInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)
    preferred_channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False, allow_blank=True,
                                                default="")
    marketing_opt_out = serializers.BooleanField(required=False, default=False)


class ContactUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)
    preferred_channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False, allow_blank=True)
    marketing_opt_out = serializers.BooleanField(required=False)


def _active_user(user_id: int, field: str) -> User:
    return resolve(User.objects.filter(is_active=True), user_id, field=field, label="active user")


@extend_schema(tags=["crm: customers"])
class CustomerListCreateView(GenericAPIView):
    serializer_class = CustomerSerializer
    pagination_class = ByNamePagination

    @extend_schema(summary="Customers you may see", operation_id="crm_customers_list")
    def get(self, request: Request) -> Response:
        return paged(self, self.get_queryset())

    def get_queryset(self):  # also what DRF's browsable page asks for
        params = self.request.query_params
        return customer_list_visible(user=self.request.user, search=query_text(params, "q"),
                                     status=query_text(params, "status"))

    @extend_schema(summary="Create a customer (409 names the owner of an existing one)", request=CustomerInput,
                   responses={201: CustomerSerializer})
    def post(self, request: Request) -> Response:
        customer = services.customer_create(actor=request.user, **validated(CustomerInput, request.data))
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: customers"])
class CustomerDetailView(APIView):
    @extend_schema(summary="A customer with its team and contacts", responses=CustomerDetailSerializer)
    def get(self, request: Request, customer_id: int) -> Response:
        customer = services.customer_view(actor=request.user, customer_id=customer_id)  # an audited read
        return Response(CustomerDetailSerializer(customer).data)

    @extend_schema(summary="Change a customer's details", request=CustomerUpdateInput, responses=CustomerSerializer)
    def patch(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        customer = services.customer_update(actor=request.user, customer=customer,
                                            **validated(CustomerUpdateInput, request.data))
        return Response(CustomerSerializer(customer).data)


@extend_schema(tags=["crm: customers"])
class CustomerReassignView(APIView):
    @extend_schema(summary="Hand the customer to another owner", request=ReassignInput, responses=CustomerSerializer)
    def post(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        data = validated(ReassignInput, request.data)
        customer = services.customer_reassign(actor=request.user, customer=customer,
                                              new_owner=_active_user(data["owner"], "owner"), note=data["note"])
        return Response(CustomerSerializer(customer).data)


@extend_schema(tags=["crm: customers"])
class CustomerTeamView(APIView):
    @extend_schema(summary="Add someone to the account team", request=UserIdInput,
                   responses={201: CustomerDetailSerializer})
    def post(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        data = validated(UserIdInput, request.data)
        services.customer_team_add(actor=request.user, customer=customer,
                                   user=_active_user(data["user"], "user"), role=data["role"])
        fresh = customer_get_visible(user=request.user, customer_id=customer_id, detailed=True)
        return Response(CustomerDetailSerializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: customers"])
class CustomerTeamRemoveView(APIView):
    @extend_schema(summary="Remove someone from the account team", request=UserIdInput,
                   responses=CustomerDetailSerializer)
    def post(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        data = validated(UserIdInput, request.data)
        member = resolve(User, data["user"], field="user", label="user")
        services.customer_team_remove(actor=request.user, customer=customer, user=member)
        fresh = customer_get_visible(user=request.user, customer_id=customer_id, detailed=True)
        return Response(CustomerDetailSerializer(fresh).data)


@extend_schema(tags=["crm: customers"])
class ContactListCreateView(APIView):
    @extend_schema(summary="A customer's contacts", responses=ContactSerializer(many=True))
    def get(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id, detailed=True)
        return Response(ContactSerializer(customer.contacts.all(), many=True).data)

    @extend_schema(summary="Add a contact", request=ContactInput, responses={201: ContactSerializer})
    def post(self, request: Request, customer_id: int) -> Response:
        customer = customer_get_visible(user=request.user, customer_id=customer_id)
        contact = services.contact_create(actor=request.user, customer=customer,
                                          **validated(ContactInput, request.data))
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["crm: customers"])
class ContactDetailView(APIView):
    @extend_schema(summary="Change a contact's details and preferences (channel, marketing opt-out)",
                   request=ContactUpdateInput, responses=ContactSerializer)
    def patch(self, request: Request, customer_id: int, contact_id: int) -> Response:
        contact = contact_get_visible(user=request.user, customer_id=customer_id, contact_id=contact_id,
                                      action=Action.CHANGE)
        contact = services.contact_update(actor=request.user, contact=contact,
                                          **validated(ContactUpdateInput, request.data))
        return Response(ContactSerializer(contact).data)


urlpatterns = [
    path("customers/", CustomerListCreateView.as_view(), name="api-customer-list"),
    path("customers/<int:customer_id>/", CustomerDetailView.as_view(), name="api-customer-detail"),
    path("customers/<int:customer_id>/reassign/", CustomerReassignView.as_view(), name="api-customer-reassign"),
    path("customers/<int:customer_id>/team/", CustomerTeamView.as_view(), name="api-customer-team"),
    path("customers/<int:customer_id>/team/remove/", CustomerTeamRemoveView.as_view(),
         name="api-customer-team-remove"),
    path("customers/<int:customer_id>/contacts/", ContactListCreateView.as_view(), name="api-customer-contacts"),
    path("customers/<int:customer_id>/contacts/<int:contact_id>/", ContactDetailView.as_view(),
         name="api-customer-contact"),
]
